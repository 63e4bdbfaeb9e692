from django.urls import path

from benchapp.views import CounterView, HitCounterView

urlpatterns = [path("counter/", CounterView.as_view()), path("hits/", HitCounterView.as_view())]
