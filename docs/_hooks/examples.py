"""MkDocs hook: every example marked ``<!-- run -->`` runs when the site is built.

A page's marked ```` ```python ```` blocks run in order in one namespace per page;
what a block prints is shown below it, and ``save_figure(fig, "name.png")`` puts
a matplotlib figure into the site as ``figures/name.png``. So the numbers and the
figures in the guides come from the shipped data and the installed precipice at
build time, never pasted, and an example that stops working fails the build.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import traceback

os.environ.setdefault("MPLBACKEND", "Agg")  # before any example imports pyplot

from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.structure.files import File  # noqa: E402

_BLOCK = re.compile(r"^<!-- run -->\n```python\n(.*?)\n```\n", re.S | re.M)
_outputs: dict[str, list[str]] = {}


def _run_page(src_uri: str, text: str, figures: dict[str, bytes]) -> list[str]:
    def save_figure(fig, name: str) -> str:
        if name in figures:
            raise PluginError(f"{src_uri}: figure {name!r} is drawn twice in the docs")
        buffer = io.BytesIO()
        # No metadata, so that the same data draws byte-identical files.
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
        import matplotlib.pyplot as plt

        plt.close(fig)
        figures[name] = buffer.getvalue()
        return name

    namespace = {"__name__": "__docs_example__", "save_figure": save_figure}
    outputs = []
    for number, code in enumerate(_BLOCK.findall(text), start=1):
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(code, f"<{src_uri}, example {number}>", "exec"), namespace)
        except Exception:
            raise PluginError(f"{src_uri}: example {number} failed:\n{traceback.format_exc()}") from None
        outputs.append(printed.getvalue())
    return outputs


def on_files(files, config):
    figures: dict[str, bytes] = {}
    _outputs.clear()
    for file in files.documentation_pages():
        with open(file.abs_src_path, encoding="utf-8") as source:
            text = source.read()
        if _BLOCK.search(text):
            _outputs[file.src_uri] = _run_page(file.src_uri, text, figures)
    for name, content in figures.items():
        files.append(File.generated(config, f"figures/{name}", content=content))
    return files


def on_page_markdown(markdown, page, config, files):
    outputs = iter(_outputs.get(page.file.src_uri, ()))

    def with_output(match: re.Match) -> str:
        block = match.group(0).replace("<!-- run -->\n", "", 1)
        printed = next(outputs).rstrip()
        return f"{block}\n```text\n{printed}\n```\n" if printed else block

    return _BLOCK.sub(with_output, markdown)
