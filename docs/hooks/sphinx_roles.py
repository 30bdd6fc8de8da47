"""Render the Sphinx roles of the numpydoc docstrings (``:func:`x```...) as links in the site.

The docstrings follow scikit-learn's conventions, Sphinx roles included, so that ``help()`` and
Sphinx read them; mkdocstrings renders a role as literal text (``:func:`` then ``x`` in code).
This hook turns each into an mkdocs-autorefs cross-reference: a link when the object is
documented in the site, plain code otherwise (``keras.Model``, ``sklearn.pipeline.Pipeline``).
A name is looked up as Sphinx would: as written, then in the module the page documents, then in
the package and each documented module. It runs just before autorefs resolves the references.
"""

from __future__ import annotations

import functools
import re

from mkdocs.plugins import event_priority

# In the rendered HTML a role is the role's name, a colon, then the target in <code>.
ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|mod|data|attr|exc|obj|const|term):<code>(?P<target>[^<]+)</code>"
)
MODULE_DIRECTIVE = re.compile(r"^::: *(ecgbeat[\w.]*)", flags=re.MULTILINE)


def _candidates(target: str, page_modules: list[str], all_modules: list[str]) -> list[str]:
    name = target.lstrip("~.")
    return [
        name,
        *(f"{module}.{name}" for module in page_modules),
        f"ecgbeat.{name}",
        *(f"{module}.{name}" for module in all_modules),
    ]


@event_priority(100)  # before mkdocs-autorefs (priority 0), which resolves what this writes
def on_env(env, config, files):
    autorefs = config.plugins["autorefs"]
    pages = [file.page for file in files if file.page is not None and file.page.content]
    all_modules = sorted({m for page in pages for m in MODULE_DIRECTIVE.findall(page.markdown)})

    def link(match: re.Match, page_modules: list[str]) -> str:
        target = match["target"]
        shown = target.lstrip("~").split(".")[-1] if target.startswith("~") else target
        for identifier in _candidates(target, page_modules, all_modules):
            try:
                autorefs.get_item_url(identifier)
            except KeyError:
                continue
            return f'<autoref identifier="{identifier}"><code>{shown}</code></autoref>'
        return f"<code>{shown}</code>"  # not documented here (another project's object)

    for page in pages:
        page_modules = MODULE_DIRECTIVE.findall(page.markdown)
        page.content = ROLE.sub(functools.partial(link, page_modules=page_modules), page.content)
    return env
