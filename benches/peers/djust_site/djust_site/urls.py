from django.urls import path

from benchapp.views import CounterView

urlpatterns = [path("counter/", CounterView.as_view())]
