"""Draw a BPMN file with bpmn-js (the renderer behind Camunda Modeler) in headless Chromium
and save the picture as PNG: `python scripts/bpmn_picture.py model.bpmn model.png`.

Uses the bpmn-js that scripts/setup.sh installs in tests/bpmnjs/ and the system Chromium.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

VIEWER = (
    Path(__file__).resolve().parents[1]
    / "tests/bpmnjs/node_modules/bpmn-js/dist/bpmn-viewer.production.min.js"
)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def draw(bpmn: Path, png: Path, width: int = 2400, height: int = 1600) -> list[str]:
    """Draw `bpmn` into `png`; return bpmn-js's import warnings."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "viewer.html"
        page_file.write_text(
            f'<!doctype html><html><head><meta charset="utf-8"><script src="{VIEWER.as_uri()}">'
            f'</script></head><body style="margin:0;background:white"><div id="canvas" '
            f'style="width:{width}px;height:{height}px"></div></body></html>',
            encoding="utf-8",
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=FLAGS
            )
            try:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(page_file.as_uri())
                found = page.evaluate(
                    """async (xml) => {
                      window.viewer = new BpmnJS({container: '#canvas'});
                      const result = await window.viewer.importXML(xml);
                      const inner = window.viewer.get('canvas').viewbox().inner;
                      return {warnings: result.warnings.map(w => w.message),
                              ratio: inner.height / inner.width};
                    }""",
                    bpmn.read_text(encoding="utf-8"),
                )
                # a picture as wide as asked and as high as the diagram needs
                fitted = min(height, int(width * found["ratio"]) + 60)
                page.set_viewport_size({"width": width, "height": fitted})
                page.evaluate(
                    f"""() => {{
                      document.getElementById('canvas').style.height = '{fitted}px';
                      window.viewer.get('canvas').resized();
                      window.viewer.get('canvas').zoom('fit-viewport', 'auto');
                    }}"""
                )
                page.screenshot(path=str(png))
                warnings: list[str] = found["warnings"]
            finally:
                browser.close()
    return warnings


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/bpmn_picture.py MODEL.bpmn PICTURE.png")
    found = draw(Path(sys.argv[1]), Path(sys.argv[2]))
    for warning in found:
        print(f"bpmn-js: {warning}", file=sys.stderr)
    sys.exit(1 if found else 0)
