"""Helpers the native module calls back into (kept in Python on purpose:
they await coroutines, which is Python's job)."""

from .live import resolve


def instantiate(view_path, params, request=None):
    """A registered LiveView at ``view_path``, mounted with ``params``."""
    view = resolve(view_path)()
    view.mount(request, **dict(params))
    return view


def current_language():
    try:
        from django.conf import settings

        if settings.configured:
            from django.utils import translation

            return translation.get_language() or settings.LANGUAGE_CODE
    except ImportError:
        pass
    return "en-us"


def after_handler(session, view_id, frame, ref):
    """What an event returns once the view's handler ran (or gave a coroutine)."""

    def after(result):
        if result is None:
            return session._sync(view_id, frame, ref)
        return _finish(result, session, view_id, frame, ref)

    return after


async def _finish(coroutine, session, view_id, frame, ref):
    await coroutine
    return await session._sync(view_id, frame, ref)


def after_component_handler(session, view_id, component_id, component, frame, ref):
    def after(result):
        return _component_round(result, session, view_id, component_id, component, frame, ref)

    return after


async def _component_round(result, session, view_id, component_id, component, frame, ref):
    if result is not None:
        await result
    outbox = getattr(component, "_wasmlive_outbox", [])
    messages, outbox[:] = list(outbox), []
    rendered = await session._sync_component(view_id, component_id, frame, ref)
    if not messages:
        return rendered
    for event, data in messages:
        returned = session._parent_handler(view_id, event, data)
        if hasattr(returned, "__await__"):
            await returned
    parent = await session._sync(view_id, frame, ref)
    if frame:
        # Two frames: the component's patches, then the parent's.
        return [rendered, parent]
    parent["component"] = rendered
    return parent


async def mount_live(session, view, view_path=None):
    """Mount a LiveView object and create the live components it declares
    (``components = {id: (Class, props)}``); gives the mounted dict, whose
    HTML includes the components."""
    path = view_path or type(view).view_path()
    mounted = await session.mount(path, python_view=view)
    declared = getattr(view, "components", None) or {}
    if not declared:
        return mounted
    for component_id, (cls, props) in declared.items():
        component = cls(**props)
        await session.create_component(mounted["view_id"], component_id, cls.template, props, component)
    full = await session.render(mounted["view_id"])
    return {**mounted, "html": full["html"], "version": full["version"]}
