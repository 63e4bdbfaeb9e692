"""Django answering the template guest's imports: template sources from
Django's loaders, ``{% url %}``, ``{% static %}``, translations and now().

The host caches every answer (``wasmlive.clear_caches()`` forgets them),
so these run once per distinct question, not once per render.
"""

import datetime

from django.conf import settings
from django.template import TemplateDoesNotExist, engines
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation


class DjangoServices:
    def load_template(self, name):
        tried = []
        for engine in engines.all():
            for loader in getattr(engine, "engine", engine).template_loaders:
                try:
                    return loader.get_template(name).source
                except TemplateDoesNotExist as e:
                    tried.extend(str(origin) for origin, _ in e.tried)
        searched = ", ".join(tried) or "no template loaders configured"
        raise TemplateDoesNotExist(f"{name} (tried: {searched})")

    def reverse_url(self, view_name, args, kwargs):
        try:
            return reverse(view_name, args=args or None, kwargs=dict(kwargs) or None)
        except NoReverseMatch as e:
            raise NoReverseMatch(str(e)) from None

    def static_url(self, path):
        from django.templatetags.static import static

        return static(path)

    def translate(self, message, context, language):
        with translation.override(language):
            return translation.pgettext(context, message) if context else translation.gettext(message)

    def translate_plural(self, singular, plural, count, context, language):
        with translation.override(language):
            if context:
                return translation.npgettext(context, singular, plural, count)
            return translation.ngettext(singular, plural, count)

    def now(self):
        now = timezone.localtime() if settings.USE_TZ else datetime.datetime.now()
        offset = now.utcoffset()
        return (
            now.year,
            now.month,
            now.day,
            now.hour,
            now.minute,
            now.second,
            now.microsecond,
            int(offset.total_seconds()) if offset is not None else 0,
            now.tzname() or "",
        )
