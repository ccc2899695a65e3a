"""Login, logout and the signed-in person's own account page (password, sessions, tokens)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from ...extensions import db
from ...models import User
from ...services import accounts
from ...services.clock import now_utc
from ..access import public, signed_in_required
from ..errors import domain_errors
from ..limits import AccountGate, login_address_limit, wait_message
from ..safety import safe_next
from . import bp
from .forms import ActionForm, LoginForm, PasswordForm


def load_user(alternative_id: str) -> User | None:
    """Flask-Login's loader for the "<id>:<version>" kept in the session and the remember
    cookie; an older version (or the bare id of cookies from before) is anonymous."""
    user_id, _, version = alternative_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() and version.isdigit() else None
    if user is None or user.session_version != int(version):
        _forget_stale_login()
        return None
    return user


def _has_remember_cookie() -> bool:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


def _forget_stale_login() -> None:
    session.pop("_user_id", None)
    if _has_remember_cookie():
        session["_remember"] = "clear"  # Flask-Login deletes the dead cookie on the way out


def home_for(user: User) -> str:
    return url_for("coord.index") if user.is_coordinator else url_for("member.index")


def _hash_method() -> str:
    return current_app.config["PASSWORD_HASH_METHOD"]


def _start_session(user: User, *, remember: bool) -> None:
    """A fresh session: nothing from before (CSRF token, tracked order, …) survives it."""
    session.clear()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@public
@login_address_limit(methods=["POST"])  # per address; per account below, with the token endpoint
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        gate = AccountGate(form.username.data)
        wait = gate.admit()
        if wait:  # the password is not even checked before the wait is over
            form.form_errors.append(wait_message(wait))
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
        user = accounts.authenticate(form.username.data, form.password.data, method=_hash_method())
        if user is None:
            form.form_errors.append(gettext("Wrong username or password."))
            wait = gate.failed()
            if wait:
                form.form_errors.append(wait_message(wait))
            return render_template("auth/login.html", form=form), 401
        gate.succeeded()
        db.session.commit()  # a password hash upgraded to the current method is kept
        _start_session(user, remember=form.remember.data)
        return redirect(safe_next(request.args.get("next"), home_for(user)))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@public
def logout():
    if current_user.is_authenticated:
        # A copy of this session or of the remember cookie must not open the account later.
        accounts.end_browser_sessions(current_user)
        db.session.commit()
    session.clear()
    logout_user()
    flash(gettext("You have logged out."), "info")
    return redirect(url_for("public.menu"))


def _account_page(password_form: PasswordForm, status: int = 200):
    return render_template(
        "auth/account.html", password_form=password_form, action_form=ActionForm(),
        tokens=accounts.live_tokens(current_user, now=now_utc()),
    ), status


@bp.get("/account")
@signed_in_required
def account():
    return _account_page(PasswordForm(formdata=None))


@bp.post("/account/password")
@signed_in_required
def change_password():
    form = PasswordForm()
    errors = domain_errors(form)
    if form.validate_on_submit():
        with errors:
            user = current_user._get_current_object()
            accounts.change_password(user, form.current.data, form.new.data, now=now_utc(),
                                     method=_hash_method())
            db.session.commit()
            # This browser stays signed in (with a new remember cookie if it had one).
            _start_session(user, remember=_has_remember_cookie())
            flash(gettext("Your password is changed. Every other browser and app is signed out."),
                  "success")
            return redirect(url_for(".account"))
    return _account_page(form, errors.status)


@bp.post("/account/sign-out-everywhere")
@signed_in_required
def sign_out_everywhere():  # CSRFProtect has checked the form's token before the view runs
    user = current_user._get_current_object()
    accounts.sign_out_everywhere(user, now=now_utc(), actor=user)
    db.session.commit()
    session.clear()
    logout_user()
    flash(gettext("You are signed out on every browser and app."), "info")
    return redirect(url_for(".login"))


@bp.post("/account/tokens/<int:token_id>/revoke")
@signed_in_required
def revoke_token(token_id: int):
    if not accounts.revoke_token_of(current_user, token_id, now=now_utc()):
        abort(404)
    db.session.commit()
    flash(gettext("The app token is revoked."), "success")
    return redirect(url_for(".account"))
