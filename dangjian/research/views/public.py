"""The public pages of a community (no sign-in): submitting an opinion, and following it with the
tracking code. They show the community named in the URL and, to the holder of a code, that one
opinion's status, answer and progress — nothing of other communities, nothing personal."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from dangjian.core.access import scope_exempt
from dangjian.core.pages import apply_errors

from .. import throttle
from ..choices import OpinionStatus
from ..forms.opinions import PublicOpinionForm, RatingForm, TrackForm
from ..selectors.opinions import public_community, public_opinion
from ..services.opinions import opinion_rate, opinion_submit_public


def client_ip(request: HttpRequest) -> str:
    """The address that counts for the limits: the one the server sees (a deployment behind a
    proxy sets REMOTE_ADDR from its trusted header in the proxy or the WSGI server)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


@scope_exempt("居民网上提交意见建议的公开页面：只显示网址中的社区名称和提交表单")
@never_cache
def public_opinion_view(request: HttpRequest, code: str) -> HttpResponse:
    community = public_community(code=code)
    form = PublicOpinionForm(data=request.POST or None)
    context = {"community": community, "form": form, "refused": ""}
    if request.method == "POST":
        ip = client_ip(request)
        refused = throttle.submission_refused(ip=ip, community_id=community.pk)
        if refused is None and form.is_valid():
            refused = throttle.take_submission(ip=ip, community_id=community.pk)
            if refused is None:
                try:
                    opinion = opinion_submit_public(community=community, **form.cleaned_data)
                except ValidationError as error:
                    apply_errors(form, error)
                else:
                    return render(request, "research/public_thanks.html", {"community": community, "opinion": opinion})
        if refused:
            context["refused"] = refused
            return render(request, "research/public_opinion.html", context, status=429)
    return render(request, "research/public_opinion.html", context, status=400 if form.errors else 200)


@scope_exempt("凭查询码查看本社区一条意见建议的办理情况：只显示状态、答复和进展，不显示个人信息")
@never_cache
def public_track_view(request: HttpRequest, code: str) -> HttpResponse:
    community = public_community(code=code)
    context: dict = {"community": community, "form": TrackForm(), "opinion": None, "refused": "", "rating_form": None}
    if request.method != "POST":
        return render(request, "research/public_track.html", context)
    ip = client_ip(request)
    refused = throttle.take_lookup(ip=ip)
    if refused:
        context["refused"] = refused
        return render(request, "research/public_track.html", context, status=429)
    rating = request.POST.get("action") == "rate"
    form = RatingForm(data=request.POST) if rating else TrackForm(data=request.POST)
    if not rating:
        context["form"] = form
    status = 200
    opinion = public_opinion(community=community, code=request.POST.get("code", "")) if form.is_valid() else None
    if opinion is None:
        context["not_found"] = form.is_valid()
        return render(request, "research/public_track.html", context, status=404 if form.is_valid() else 400)
    if rating:
        try:
            opinion = opinion_rate(
                opinion=opinion, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
            context["thanked"] = True
        except ValidationError as error:
            apply_errors(form, error)
            status = 400
    context["opinion"] = opinion
    if opinion.status == OpinionStatus.CLOSED and opinion.rating is None:
        context["rating_form"] = form if rating else RatingForm(initial={"code": opinion.tracking_code})
    return render(request, "research/public_track.html", context, status=status)
