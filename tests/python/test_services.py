"""`{% url %}`, `{% static %}`, translations, `{% now %}` and template
loading answered by Django through the host imports: the guest's HTML is
Django's own."""

from django.template import Context, Template
from django.utils import translation

from wasmlive import LiveView

SOURCE = (
    '{% load i18n static %}<a href="{% url "counter" %}">{% translate "January" %}</a>'
    '<img src="{% static "img/logo.png" %}">'
    '{% blocktranslate count n=n %}{{ n }} year{% plural %}{{ n }} years{% endblocktranslate %}'
    ' {% now "Y" %} {% include "demo/counter.html" %}'
)


class UsesDjango(LiveView):
    template = SOURCE

    def mount(self, request, **kwargs):
        self.n = kwargs.get("n", 1)


async def test_the_guest_renders_what_django_renders(session):
    for language in ["en-us", "de", "fr"]:
        for n in [1, 3]:
            view = UsesDjango()
            view.mount(None, n=n)
            mounted = await session.mount(UsesDjango.view_path(), python_view=view, language=language)
            with translation.override(language):
                expected = Template(SOURCE).render(Context({"n": n}))
            assert mounted["html"] == expected, (language, n)
    # The German catalogue really was used.
    view = UsesDjango()
    view.mount(None, n=3)
    html = (await session.mount(UsesDjango.view_path(), python_view=view, language="de"))["html"]
    assert "Januar<" in html and "3 years" in html and 'href="/counter/"' in html and "/static/img/logo.png" in html


async def test_an_unknown_url_name_is_a_template_error(session):
    import pytest

    import wasmlive

    with pytest.raises(wasmlive.TemplateError, match="no-such-view"):
        await session.mount("bad-url", template='{% url "no-such-view" %}')


async def test_a_failing_translation_is_logged_and_shown_untranslated(session, monkeypatch, caplog):
    # The WIT import cannot fail (gettext falls back to the message): the
    # error is logged on the "wasmlive" logger and the page still renders.
    import wasmlive
    from wasmlive.services import DjangoServices

    def broken(self, *args):
        raise RuntimeError("catalogue unreadable")

    monkeypatch.setattr(DjangoServices, "translate", broken)
    monkeypatch.setattr(DjangoServices, "translate_plural", broken)
    wasmlive.clear_caches()
    try:
        source = '{% load i18n %}{% translate "Unique message 7" %}|{% blocktranslate count n=2 %}one{% plural %}many{% endblocktranslate %}'
        with caplog.at_level("WARNING", logger="wasmlive"):
            mounted = await session.mount("untranslated", template=source, language="de")
        assert mounted["html"] == "Unique message 7|many"
        messages = [r.getMessage() for r in caplog.records if r.name == "wasmlive"]
        assert any("translate(\"Unique message 7\") failed" in m and "catalogue unreadable" in m for m in messages), messages
        assert any("translate_plural" in m and "catalogue unreadable" in m for m in messages), messages
    finally:
        monkeypatch.undo()
        wasmlive.clear_caches()
