"""``{% load wasmlive %}{% wasmlive_scripts %}``: the JS client, as an ES module."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def wasmlive_scripts(ws_path="/ws/live/", transport="websocket"):
    """The client module; ``transport="http"`` sends events by POST instead."""
    return format_html(
        '<script type="module" src="{}" data-ws-path="{}" data-transport="{}"></script>',
        static("wasmlive/client.js"),
        ws_path,
        transport,
    )
