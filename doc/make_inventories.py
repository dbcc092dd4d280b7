"""Write the intersphinx inventories of scikit-learn, NumPy and SciPy.

The documentation links to scikit-learn, NumPy and SciPy through
``sphinx.ext.intersphinx``, but it must build without network access, so
``doc/conf.py`` reads their inventories from ``doc/_inventories/`` instead of
downloading them. This script writes those files (the ``objects.inv`` format,
version 2, that Sphinx reads) from the public API of the installed packages:

- scikit-learn: every name in the ``__all__`` of its public modules (functions,
  classes, exceptions) and the public methods and properties of each class,
  at ``modules/generated/<name>.html#<name>``, as scikit-learn's reference
  pages are laid out; a few user-guide pages (``std:doc``);
- NumPy: the functions of ``numpy`` and ``numpy.linalg`` (an alias such as
  ``numpy.abs`` points to the page of the function it names), ``ndarray``
  and its methods and attributes, ``dtype``, the scalar types, the random
  generators and a few constants, each at its page in NumPy's reference;
- SciPy: the functions and classes of the subpackages listed in ``SCIPY``,
  and the methods that SciPy itself defines on those classes, at
  ``reference/generated/<name>.html#<name>``.

Only names found by introspection are written, so a reference to a name that
the installed version does not have fails the ``-W`` (nitpicky) build instead
of pointing nowhere. The URLs are those of each project's *stable* online
documentation (``URLS`` below); the links are followed by the reader's
browser, never by the build.

To regenerate (after upgrading scikit-learn, NumPy or SciPy, or to link a
name of a module not listed here), run from the repository root::

    python doc/make_inventories.py

and commit the files it writes in ``doc/_inventories/``. The output is
deterministic: the same installed versions give the same bytes. Each file is
read back with Sphinx's own inventory reader before the script reports it.
"""

import importlib
import importlib.util
import inspect
import os
import sys
import zlib

URLS = {
    "sklearn": "https://scikit-learn.org/stable/",
    "numpy": "https://numpy.org/doc/stable/",
    "scipy": "https://docs.scipy.org/doc/scipy/",
}

# Public scikit-learn modules below the top-level subpackages that have their
# own reference section (the subpackages themselves are read from
# sklearn.__all__).
SKLEARN_EXTRA_MODULES = [
    "sklearn.gaussian_process.kernels",
    "sklearn.metrics.pairwise",
    "sklearn.utils",
    "sklearn.utils.validation",
    "sklearn.utils.estimator_checks",
    "sklearn.utils.metadata_routing",
    "sklearn.utils.multiclass",
    "sklearn.utils.extmath",
    "sklearn.utils.sparsefuncs",
    "sklearn.utils.class_weight",
    "sklearn.utils.discovery",
    "sklearn.utils.parallel",
    "sklearn.base",
]
SKLEARN_SKIP_MODULES = {"sklearn.externals", "sklearn.experimental"}
# A module without __all__ documents what it defines; these also document
# what they import from a private module.
SKLEARN_REEXPORTS = {
    "sklearn.utils.metadata_routing": "sklearn.utils._metadata_requests",
}

# scikit-learn user-guide pages (std:doc): document name -> title.
SKLEARN_DOCS = {
    "modules/linear_model": "Linear Models",
    "modules/kernel_ridge": "Kernel ridge regression",
    "modules/gaussian_process": "Gaussian Processes",
    "modules/cross_validation": "Cross-validation: evaluating estimator performance",
    "modules/grid_search": "Tuning the hyper-parameters of an estimator",
    "modules/compose": "Pipelines and composite estimators",
    "modules/preprocessing": "Preprocessing data",
    "modules/model_evaluation": (
        "Metrics and scoring: quantifying the quality of predictions"
    ),
    "metadata_routing": "Metadata Routing",
    "glossary": "Glossary of Common Terms and API Elements",
}

SCIPY = [
    "scipy.linalg",
    "scipy.optimize",
    "scipy.sparse",
    "scipy.sparse.linalg",
    "scipy.special",
]

NUMPY_SCALARS = [
    "generic", "number", "integer", "signedinteger", "unsignedinteger",
    "inexact", "floating", "complexfloating", "bool_",
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "longdouble", "half", "single", "double",
    "complex64", "complex128", "intp", "uintp", "str_", "bytes_", "object_",
]  # fmt: skip
NUMPY_CONSTANTS = ["inf", "nan", "pi", "e", "newaxis"]

# kind of a Python object -> Sphinx Python-domain object type
FUNCTION, CLASS, EXCEPTION, METHOD, PROPERTY, ATTRIBUTE, DATA = (
    "py:function", "py:class", "py:exception", "py:method", "py:property",
    "py:attribute", "py:data",
)  # fmt: skip


def _is_function(obj):
    # Python functions, builtins and NumPy's ufuncs and array functions.
    return callable(obj) and not inspect.isclass(obj)


def _class_kind(cls):
    return EXCEPTION if issubclass(cls, BaseException) else CLASS


def _defined_in(attr):
    """The module that defines a method or property (``""`` if unknown)."""
    func = attr.fget if isinstance(attr, property) else attr
    return getattr(func, "__module__", None) or ""


def _members(cls, package=None):
    """Public methods and properties of a class, inherited ones included.

    With ``package``, only those that the package defines (not those of
    ``dict`` or ``abc``, which its reference pages do not document).
    """
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        try:
            attr = inspect.getattr_static(cls, name)
        except AttributeError:
            continue
        if isinstance(attr, property):
            member = name, PROPERTY, attr
        elif isinstance(attr, (staticmethod, classmethod)):
            member = name, METHOD, attr.__func__
        elif inspect.isclass(attr):
            continue
        elif callable(attr) or inspect.ismethoddescriptor(attr):
            member = name, METHOD, getattr(cls, name)
        elif inspect.isgetsetdescriptor(attr) or inspect.ismemberdescriptor(attr):
            member = name, ATTRIBUTE, attr
        else:
            continue
        if package is None or _defined_in(member[2]).startswith(package):
            yield member


def _public_names(module, reexports=None):
    """The public names of a module: its ``__all__``, or else the public
    functions and classes that it (or one of its private modules, or the
    module ``reexports``) defines."""
    names = getattr(module, "__all__", None)
    own = names is None
    if own:
        names = [n for n in dir(module) if not n.startswith("_")]
    for name in sorted(set(names)):
        try:
            obj = getattr(module, name)
        except (AttributeError, ImportError):
            continue
        if inspect.ismodule(obj):
            continue
        where = getattr(obj, "__module__", None) or ""
        if own and not (
            where == module.__name__
            or where.startswith(module.__name__ + "._")
            or where == reexports
        ):
            continue
        yield name, obj


# -- scikit-learn ---------------------------------------------------------------


def sklearn_entries():
    import sklearn

    # The experimental estimators are documented where they are imported from.
    importlib.import_module("sklearn.experimental.enable_halving_search_cv")
    importlib.import_module("sklearn.experimental.enable_iterative_imputer")

    modules = [
        f"sklearn.{name}"
        for name in sklearn.__all__
        if inspect.ismodule(getattr(sklearn, name, None))
        or importlib.util.find_spec(f"sklearn.{name}") is not None
    ]
    modules = [m for m in modules if m not in SKLEARN_SKIP_MODULES]
    modules += SKLEARN_EXTRA_MODULES
    entries = []
    for fullname in sklearn.__all__:
        obj = getattr(sklearn, fullname, None)
        if obj is not None and not inspect.ismodule(obj) and _is_function(obj):
            name = f"sklearn.{fullname}"
            entries.append((name, FUNCTION, f"modules/generated/{name}.html#$"))
    for modname in modules:
        module = importlib.import_module(modname)
        for name, obj in _public_names(module, SKLEARN_REEXPORTS.get(modname)):
            fullname = f"{modname}.{name}"
            page = f"modules/generated/{fullname}.html"
            if inspect.isclass(obj):
                entries.append((fullname, _class_kind(obj), page + "#$"))
                for member, kind, _ in _members(obj, "sklearn"):
                    entries.append(
                        (f"{fullname}.{member}", kind, f"{page}#{fullname}.{member}")
                    )
            elif _is_function(obj):
                entries.append((fullname, FUNCTION, page + "#$"))
    for docname, title in SKLEARN_DOCS.items():
        entries.append((docname, "std:doc", f"{docname}.html", title))
    return entries


# -- NumPy ------------------------------------------------------------------------


def _canonical(obj, default):
    name = getattr(obj, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() else default


def numpy_entries():
    import numpy as np

    entries = []
    for prefix, module in (("numpy", np), ("numpy.linalg", np.linalg)):
        for name, obj in _public_names(module):
            if inspect.isclass(obj) or not _is_function(obj):
                continue
            target = f"{prefix}.{_canonical(obj, name)}"
            if not hasattr(module, target.rsplit(".", 1)[1]):
                target = f"{prefix}.{name}"
            url = f"reference/generated/{target}.html#{target}"
            entries.append((f"{prefix}.{name}", FUNCTION, url))
    for name in ("ndarray", "dtype"):
        fullname = f"numpy.{name}"
        entries.append((fullname, CLASS, f"reference/generated/{fullname}.html#$"))
    for member, kind, _ in _members(np.ndarray):
        fullname = f"numpy.ndarray.{member}"
        entries.append((fullname, kind, f"reference/generated/{fullname}.html#$"))
    for name in NUMPY_SCALARS:
        if hasattr(np, name):
            entries.append((f"numpy.{name}", CLASS, "reference/arrays.scalars.html#$"))
    for name in NUMPY_CONSTANTS:
        if hasattr(np, name):
            entries.append((f"numpy.{name}", DATA, "reference/constants.html#$"))
    entries += [
        ("numpy.linalg.LinAlgError", EXCEPTION, "reference/generated/$.html#$"),
        ("numpy.random.Generator", CLASS, "reference/random/generator.html#$"),
        ("numpy.random.default_rng", FUNCTION, "reference/random/generator.html#$"),
        ("numpy.random.RandomState", CLASS, "reference/random/legacy.html#$"),
        ("numpy.typing.ArrayLike", DATA, "reference/typing.html#$"),
    ]
    assert issubclass(np.linalg.LinAlgError, Exception)
    assert np.random.Generator and np.random.default_rng and np.random.RandomState
    return entries


# -- SciPy ------------------------------------------------------------------------


def scipy_entries():
    entries = []
    for modname in SCIPY:
        module = importlib.import_module(modname)
        for name, obj in _public_names(module):
            fullname = f"{modname}.{name}"
            url = f"reference/generated/{fullname}.html#$"
            if inspect.isclass(obj):
                entries.append((fullname, _class_kind(obj), url))
                for member, kind, _ in _members(obj, "scipy"):
                    member_name = f"{fullname}.{member}"
                    entries.append(
                        (member_name, kind, f"reference/generated/{member_name}.html#$")
                    )
            elif _is_function(obj):
                entries.append((fullname, FUNCTION, url))
    return entries


# -- writing ----------------------------------------------------------------------


def _line(entry):
    name, kind, uri, *title = entry
    uri = uri.replace("$.html", f"{name}.html")
    if uri.endswith("#" + name):
        uri = uri[: -len(name)] + "$"
    return f"{name} {kind} 1 {uri} {title[0] if title else '-'}"


def write_inventory(path, project, version, entries):
    lines = sorted({_line(e) for e in entries})
    names = [line.split(" ", 2)[:2] for line in lines]
    assert len({tuple(n) for n in names}) == len(names), "duplicate entries"
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode()
    body = zlib.compress(("\n".join(lines) + "\n").encode(), 9)
    with open(path, "wb") as f:
        f.write(header + body)
    return len(lines)


def check_inventory(path, base_url):
    """Read a file back with Sphinx's reader; return its number of entries."""
    from sphinx.util.inventory import InventoryFile

    with open(path, "rb") as f:
        content = f.read()
    inventory = InventoryFile.loads(content, uri=base_url)
    data = getattr(inventory, "data", inventory)
    return sum(len(v) for v in data.values())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "_inventories")
    os.makedirs(out, exist_ok=True)
    import numpy
    import scipy
    import sklearn

    for key, project, module, entries in (
        ("sklearn", "scikit-learn", sklearn, sklearn_entries()),
        ("numpy", "NumPy", numpy, numpy_entries()),
        ("scipy", "SciPy", scipy, scipy_entries()),
    ):
        path = os.path.join(out, f"{key}.inv")
        n = write_inventory(path, project, module.__version__, entries)
        assert check_inventory(path, URLS[key]) == n
        size = os.path.getsize(path)
        print(f"{path}: {n} entries, {size} bytes ({project} {module.__version__})")


if __name__ == "__main__":
    sys.exit(main())
