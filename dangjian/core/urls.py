from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_otp_view, name="login_otp"),
    path("logout/", views.logout_view, name="logout"),
    path("account/password/", views.password_change_view, name="password_change"),
    path("account/2fa/", views.twofactor_setup_view, name="twofactor_setup"),
    path("account/2fa/disable/", views.twofactor_disable_view, name="twofactor_disable"),
    path("account/grant/", views.grant_switch_view, name="grant_switch"),
    path("org/", views.org_tree_view, name="org_tree"),
    path("org/<int:pk>/", views.org_detail_view, name="org_detail"),
    path("org/<int:pk>/children/", views.org_children_view, name="org_children"),
    path("org/<int:pk>/new/", views.org_create_view, name="org_create"),
    path("org/<int:pk>/edit/", views.org_edit_view, name="org_edit"),
    path("org/<int:pk>/move/", views.org_move_view, name="org_move"),
    path("org/<int:pk>/close/", views.org_close_view, name="org_close"),
    path("org/<int:pk>/committees/new/", views.committee_create_view, name="committee_create"),
    path("committees/ending/", views.committees_ending_view, name="committees_ending"),
    path("committees/<int:pk>/", views.committee_detail_view, name="committee_detail"),
    path("committees/<int:pk>/edit/", views.committee_edit_view, name="committee_edit"),
    path("committees/<int:pk>/seats/new/", views.seat_add_view, name="seat_add"),
    path("seats/<int:pk>/end/", views.seat_end_view, name="seat_end"),
]
