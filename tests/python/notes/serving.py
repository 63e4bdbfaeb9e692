"""A `wasmlive serve` handler class backed by the notes table (serve with
DJANGO_SETTINGS_MODULE set)."""

from django.db import transaction

from wasmlive import event_handler

from .models import Note


class Notes:
    def mount(self, request, **kwargs):
        self.notes = list(Note.objects.values_list("text", flat=True))

    @event_handler
    def add(self, text="", **kwargs):
        Note.objects.create(text=text)
        self.notes = list(Note.objects.values_list("text", flat=True))

    @event_handler
    async def count(self, **kwargs):
        self.notes = [f"{await Note.objects.acount()} notes"]

    @event_handler
    def add_then_fail(self, text="", **kwargs):
        with transaction.atomic():
            Note.objects.create(text=text)
            raise RuntimeError("rolled back")

    def get_context_data(self):
        return {"notes": self.notes}
