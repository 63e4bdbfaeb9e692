from django.http import HttpResponse
from django.urls import path

from . import views


def index(request):
    links = "".join(f'<li><a href="{p}">{n}</a></li>' for n, p in [("Counter", "/counter/"), ("Chat", "/chat/"), ("Todo", "/todo/"), ("Components", "/components/"), ("Clock", "/clock/")])
    return HttpResponse(f"<!DOCTYPE html><title>wasmlive demo</title><h1>wasmlive demo</h1><ul>{links}</ul>")


urlpatterns = [
    path("", index, name="index"),
    path("counter/", views.CounterView.as_view(), name="counter"),
    path("chat/", views.ChatView.as_view(), name="chat"),
    path("todo/", views.TodoView.as_view(), name="todo"),
    path("components/", views.DashboardView.as_view(), name="components"),
    path("clock/", views.ClockView.as_view(), name="clock"),
]
