"""Sphinx configuration for the skhypergrad documentation.

Build with ``python -m sphinx -W --keep-going -b html doc doc/_build/html``
from the repository root. No network access is needed.
"""

import os
import re
import sys
import warnings

# Document the source tree even when the package is not installed.
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

import skhypergrad  # noqa: E402

# -- Project information -----------------------------------------------------

project = "skhypergrad"
author = "The skhypergrad developers"
copyright = "2025, The skhypergrad developers"
release = skhypergrad.__version__
version = ".".join(release.split(".")[:2])

# -- General configuration ---------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = []
default_role = "literal"

# Links to scikit-learn, NumPy and SciPy. The build must not touch the network,
# so their inventories are read from doc/_inventories/, which
# doc/make_inventories.py writes from the installed packages (its docstring
# says how to regenerate them); the links point to each project's stable
# online documentation.
intersphinx_mapping = {
    "sklearn": ("https://scikit-learn.org/stable/", "_inventories/sklearn.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "_inventories/numpy.inv"),
    "scipy": ("https://docs.scipy.org/doc/scipy/", "_inventories/scipy.inv"),
}
# (Sphinx's default intersphinx_disabled_reftypes = ["std:doc"] stands: their
# user-guide pages are linked by explicit "sklearn:modules/..." references.)

# Every cross-reference must resolve, those into scikit-learn, NumPy and SciPy
# included: a wrong name fails the -W build.
nitpicky = True

# autodoc / autosummary
autosummary_generate = True
# Document every public method, the ones inherited from scikit-learn included.
autodoc_default_options = {"members": True, "inherited-members": True}

# numpydoc: the method table is left to autosummary's default class template.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_validation_checks = {
    "all",
    "ES01",  # no extended summary
    "SA01",  # no See Also section
    "EX01",  # no Examples section
    "RT02",  # "self : object" style named returns, as in scikit-learn
}
# Docstrings inherited from scikit-learn's base classes are not ours to fix.
numpydoc_validation_exclude = {
    r"\.get_params$",
    r"\.set_params$",
    r"\.score$",
    r"\.set_\w+_request$",
    r"\.get_metadata_routing$",
    r"\.__init__$",
}

# sphinx-gallery
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("skhypergrad",),
    "backreferences_dir": "generated/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
}

# Matplotlib must not try to open windows while the gallery runs.
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="Matplotlib is currently using agg",
)

# -- HTML output -------------------------------------------------------------

html_theme = "alabaster"
html_static_path = []
html_title = f"skhypergrad {release}"
html_theme_options = {
    "description": "Hyperparameters tuned by the gradient of a CV criterion",
    "fixed_sidebar": True,
}


# -- Docstrings inherited from scikit-learn ------------------------------------
# They use :ref:, :term: and :doc: targets of scikit-learn's own user guide and
# glossary, which the committed inventory does not carry (it has the API and a
# few user-guide pages): render them as text.

_SKLEARN_REF = re.compile(r":(?:ref|term|doc):`(?:([^`<]*?)\s*<[^`>]+>|([^`<>]+))`")


def _unlink_sklearn_refs(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if not module.startswith("sklearn"):
        return
    for k, line in enumerate(lines):
        lines[k] = _SKLEARN_REF.sub(lambda m: m.group(1) or m.group(2), line)


def setup(app):
    app.connect("autodoc-process-docstring", _unlink_sklearn_refs)
