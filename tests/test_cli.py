"""CLI commands: demo data (idempotent), users, the offer sweep, the scheduler wiring."""

from sqlalchemy import func, select

from lectureorder.models import LectureSession, Member, Order, Topic, Township, User


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_is_complete_and_idempotent(runner, db, app):
    app.config["ALLOW_DEMO_DATA"] = True  # the suite's PostgreSQL database is a staging one
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert count(db, Topic) == 5 and count(db, Township) == 8 and count(db, Member) == 33
    assert db.session.scalar(select(User).where(User.username == "coordinator")).check_password("demo1234")
    assert db.session.scalar(select(User).where(User.username == "member33")) is not None
    vps = db.session.scalars(select(Member)).all()
    assert sum(1 for m in vps if m.vice_principal_of) == 7
    statuses = set(db.session.scalars(select(Order.status)))
    assert statuses == {"submitted", "offered", "scheduled", "delivered", "closed",
                        "needs_attention", "cancelled"}
    before = (count(db, Order), count(db, LectureSession), count(db, User))
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert (count(db, Order), count(db, LectureSession), count(db, User)) == before


def test_seed_demo_if_empty_leaves_a_used_database_alone(runner, db, app, make_user):
    app.config["ALLOW_DEMO_DATA"] = True
    make_user(username="someone")
    db.session.commit()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and count(db, Order) == 0


def test_seed_demo_refused_on_a_server_database(runner, app):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://x@127.0.0.1/prod"
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "refused" in result.output


def test_create_user(runner, db):
    result = runner.invoke(args=["create-user", "zhang", "--role", "member", "--name", "张警官",
                                 "--password", "longenough1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "zhang"))
    assert user.member.name == "张警官" and user.check_password("longenough1")
    short = runner.invoke(args=["create-user", "li", "--password", "short"])
    assert short.exit_code != 0 and "8" in short.output
    dup = runner.invoke(args=["create-user", "zhang", "--password", "longenough1"])
    assert dup.exit_code != 0


def test_expire_offers_command(runner, db):
    result = runner.invoke(args=["expire-offers"])
    assert result.exit_code == 0 and "expired 0" in result.output


def test_scheduler_has_one_of_each_job(app):
    from lectureorder.jobs import build_scheduler

    scheduler = build_scheduler(app, blocking=False)
    assert {job.id for job in scheduler.get_jobs()} == {"dispatch_pending", "expire_offers",
                                                        "send_notifications", "purge_contacts",
                                                        "queue_reminders", "scheduler_lock"}
