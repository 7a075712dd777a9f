"""The research pages at /research/ (namespace `research`): risks, events, research records,
rounds and visits, opinions and corrections, the indicators, and the public pages."""

from django.urls import path

from .views import events, opinions, overview, public, risks, visits

app_name = "research"

urlpatterns = [
    path("", overview.overview_view, name="overview"),
    path("indicators/", overview.indicators_view, name="indicators"),
    # Stability risks (维稳隐患)
    path("risks/", risks.risk_list_view, name="risk_list"),
    path("risks/new/", risks.risk_create_view, name="risk_create"),
    path("risks/<int:pk>/", risks.risk_detail_view, name="risk_detail"),
    path("risks/<int:pk>/edit/", risks.risk_edit_view, name="risk_edit"),
    path("risks/<int:pk>/start/", risks.risk_start_view, name="risk_start"),
    path("risks/<int:pk>/research/", risks.risk_research_view, name="risk_research"),
    path("risks/<int:pk>/visit/", risks.risk_visit_view, name="risk_visit"),
    path("risks/<int:pk>/consult/", risks.risk_consult_view, name="risk_consult"),
    path("risks/<int:pk>/solution/", risks.risk_solution_view, name="risk_solution"),
    path("risks/<int:pk>/resolve/", risks.risk_resolve_view, name="risk_resolve"),
    path("risks/<int:pk>/close/", risks.risk_close_view, name="risk_close"),
    # Large events (大型活动)
    path("events/", events.event_list_view, name="event_list"),
    path("events/new/", events.event_create_view, name="event_create"),
    path("events/<int:pk>/", events.event_detail_view, name="event_detail"),
    path("events/<int:pk>/edit/", events.event_edit_view, name="event_edit"),
    path("events/<int:pk>/research/", events.event_research_view, name="event_research"),
    path("events/<int:pk>/submit/", events.event_submit_view, name="event_submit"),
    path("events/<int:pk>/approve/", events.event_approve_view, name="event_approve"),
    path("events/<int:pk>/return/", events.event_return_view, name="event_return"),
    path("events/<int:pk>/review/", events.event_review_view, name="event_review"),
    path("events/<int:pk>/cancel/", events.event_cancel_view, name="event_cancel"),
    # Research records (调研)
    path("records/", visits.research_list_view, name="research_list"),
    path("records/new/", visits.research_create_view, name="research_create"),
    path("records/<int:pk>/", visits.research_detail_view, name="research_detail"),
    # Rounds of visits and visits (走访)
    path("rounds/", visits.round_list_view, name="round_list"),
    path("rounds/new/", visits.round_create_view, name="round_create"),
    path("rounds/<int:pk>/", visits.round_detail_view, name="round_detail"),
    path("rounds/<int:pk>/assign/", visits.round_assign_view, name="round_assign"),
    path("rounds/<int:pk>/close/", visits.round_close_view, name="round_close"),
    path("visits/", visits.visit_list_view, name="visit_list"),
    path("visits/new/", visits.visit_create_view, name="visit_create"),
    path("visits/<int:pk>/", visits.visit_detail_view, name="visit_detail"),
    # Opinions and suggestions (意见建议) and corrections (及时修正)
    path("opinions/", opinions.opinion_list_view, name="opinion_list"),
    path("opinions/new/", opinions.opinion_create_view, name="opinion_create"),
    path("opinions/import/", opinions.opinion_import_view, name="opinion_import"),
    path("opinions/import/template/", opinions.opinion_import_template_view, name="opinion_import_template"),
    path("opinions/<int:pk>/", opinions.opinion_detail_view, name="opinion_detail"),
    path("opinions/<int:pk>/assign/", opinions.opinion_assign_view, name="opinion_assign"),
    path("opinions/<int:pk>/answer/", opinions.opinion_answer_view, name="opinion_answer"),
    path("opinions/<int:pk>/progress/", opinions.opinion_progress_view, name="opinion_progress"),
    path("corrections/", opinions.correction_list_view, name="correction_list"),
    path("corrections/new/", opinions.correction_create_view, name="correction_create"),
    path("corrections/<int:pk>/", opinions.correction_detail_view, name="correction_detail"),
    # The community's public pages (no sign-in)
    path("public/<slug:code>/", public.public_opinion_view, name="public_opinion"),
    path("public/<slug:code>/track/", public.public_track_view, name="public_track"),
]
