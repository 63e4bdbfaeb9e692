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
