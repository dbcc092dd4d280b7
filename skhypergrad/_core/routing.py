"""Metadata of ``fit(X, y, **params)`` for the cross-validation splitter.

With scikit-learn's metadata routing enabled, ``params`` go where the
splitter requests them (:class:`~sklearn.model_selection.GroupKFold`
requests ``groups``). Without it, ``groups`` goes to the splitter, as
:func:`~sklearn.model_selection.cross_validate` takes it, and anything else
is an error that names it.
"""

from numbers import Integral

from sklearn.model_selection import check_cv
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _routing_enabled,
    process_routing,
)


def uses_splitter(cv):
    """Whether ``cv`` is a splitter (an int, a splitter or an iterable of
    splits), rather than None or a criterion's name."""
    return cv is not None and not isinstance(cv, str)


def _cv_of(estimator):
    """The estimator's ``cv`` as a splitter understands it (an estimator whose
    ``cv=None`` means k-fold says so by ``_splitter_cv``)."""
    resolve = getattr(estimator, "_splitter_cv", None)
    return estimator.cv if resolve is None else resolve()


def splitter_router(estimator, classifier=False):
    """The estimator's :class:`~sklearn.utils.metadata_routing.MetadataRouter`:
    ``fit`` routes to the splitter's ``split``."""
    router = MetadataRouter(owner=type(estimator).__name__)
    cv = _cv_of(estimator)
    if uses_splitter(cv) and not (
        isinstance(cv, Integral) and not isinstance(cv, bool) and cv < 2
    ):
        router.add(
            splitter=check_cv(cv, classifier=classifier),
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
    return router


def split_params(estimator, params):
    """The keyword arguments of the splitter's ``split`` from ``fit``'s
    ``params``.

    Raises
    ------
    ValueError
        For a parameter that nothing uses: without routing, anything but
        ``groups``, and ``groups`` when ``cv`` is not a splitter.
    """
    if _routing_enabled():
        if not params:
            return {}
        routed = process_routing(estimator, "fit", **params)
        return dict(routed.splitter.split) if hasattr(routed, "splitter") else {}
    unknown = sorted(set(params) - {"groups"})
    if unknown:
        raise ValueError(
            f"{type(estimator).__name__}.fit got unexpected parameters {unknown}: "
            "without metadata routing it takes only groups (for the cv "
            "splitter); see sklearn.set_config(enable_metadata_routing=True)."
        )
    if "groups" in params and params["groups"] is not None:
        if not uses_splitter(_cv_of(estimator)):
            raise ValueError(
                f"groups is used by a cv splitter, but cv={estimator.cv!r} "
                "does not split the data; pass e.g. cv=GroupKFold(5)."
            )
        return {"groups": params["groups"]}
    return {}
