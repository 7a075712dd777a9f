"""The admin for research: scoped like the pages and read-only, because every change goes through
the services (research before a solution, before an approval; answers kept apart from progress).
Contact phones never appear in clear."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from dangjian.core.admin import ReadOnlyAdminMixin, ScopedAdminMixin

from .models import Consultation, Correction, Event, Opinion, Research, ResearchRound, Risk, Visit, VisitTarget


@admin.register(Risk)
class RiskAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "community", "level", "status", "reported_on", "assignee"]
    list_filter = ["level", "status", "category"]
    search_fields = ["title", "location"]
    list_select_related = ["community", "assignee"]


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["risk", "consulted_on", "method", "participants", "participant_count"]
    list_select_related = ["risk"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "community", "planned_on", "status", "budget", "approved_by"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "place"]
    list_select_related = ["community", "approved_by"]


@admin.register(Research)
class ResearchAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "community", "kind", "conducted_from", "conducted_to", "researchers"]
    list_filter = ["kind"]
    search_fields = ["title"]
    list_select_related = ["community"]


@admin.register(ResearchRound)
class ResearchRoundAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "community", "period_start", "period_end", "closed_on"]
    list_select_related = ["community"]


@admin.register(VisitTarget)
class VisitTargetAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["label", "round", "kind", "grid", "building", "cadre"]
    list_filter = ["kind"]
    list_select_related = ["round", "cadre"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["visited_on", "whom", "community", "visitor", "method"]
    list_filter = ["method"]
    search_fields = ["whom"]
    list_select_related = ["community", "visitor"]
    date_hierarchy = "visited_on"


@admin.register(Opinion)
class OpinionAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "community", "area", "source", "status", "submitted_at", "assignee", "rating"]
    list_filter = ["status", "area", "source"]
    search_fields = ["title", "tracking_code"]
    list_select_related = ["community", "assignee"]
    # The encrypted phone never reaches an admin page; its masked form does.
    exclude = ["contact_phone"]
    readonly_fields = ["contact_phone_masked"]

    @admin.display(description="联系电话")
    def contact_phone_masked(self, opinion: Opinion) -> str:
        return opinion.contact_phone_masked


@admin.register(Correction)
class CorrectionAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["title", "community", "corrected_on", "research"]
    list_select_related = ["community", "research"]
