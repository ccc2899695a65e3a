"""What evening film screenings depend on besides dusk: the film season and the equipment kits.
Changes are validated, flushed and audited here; the view commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import raiseload, selectinload

from ..domain import calendar_text
from ..domain import formats as fm
from ..domain.errors import N_, DomainError, ValidationFailed
from ..extensions import db
from ..models import EquipmentKit, FilmSeason, User
from .admin_changes import audit, check_township

MAX_KIT_NAME = 60
MAX_KIT_CONTENTS = 200


# --- Film season -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilmSeasonData:
    all_year: bool
    start_month: int | None = None
    start_day: int | None = None
    end_month: int | None = None
    end_day: int | None = None


@dataclass(frozen=True)
class FilmSeasonView:
    all_year: bool
    start: tuple[int, int]
    end: tuple[int, int]
    stored: bool
    updated_at: datetime | None = None


def save_film_season(data: FilmSeasonData, *, now: datetime,
                     actor: User | None = None) -> FilmSeason:
    errors: list[DomainError] = []
    start = calendar_text.month_day(data.start_month, data.start_day, "start", errors)
    end = calendar_text.month_day(data.end_month, data.end_day, "end", errors)
    if data.all_year:
        # The dates only matter again when "all year" is switched off; keep what is valid.
        errors = []
        start = start or fm.SlotSettings.film_season_start
        end = end or fm.SlotSettings.film_season_end
    ValidationFailed.collect(errors)
    assert start is not None and end is not None
    fm.SlotSettings(film_season_start=start, film_season_end=end,
                    film_season_all_year=bool(data.all_year))  # the domain agrees
    season = db.session.get(FilmSeason, 1)
    before = None
    if season is None:
        season = FilmSeason(id=1)
        db.session.add(season)
    else:
        before = _season_detail(season)
    season.all_year = bool(data.all_year)
    season.start_month, season.start_day = start
    season.end_month, season.end_day = end
    season.updated_at = now
    db.session.flush()
    audit("film_season", 1, "update", now=now, actor=actor,
          detail={"before": before, "after": _season_detail(season)})
    return season


def _season_detail(season: FilmSeason) -> dict:
    return {"all_year": season.all_year,
            "start": [season.start_month, season.start_day],
            "end": [season.end_month, season.end_day]}


def film_season_overrides() -> dict:
    """SlotSettings keyword arguments from the stored season; empty when none is stored."""
    season = db.session.get(FilmSeason, 1)
    if season is None:
        return {}
    return {
        "film_season_all_year": season.all_year,
        "film_season_start": (season.start_month, season.start_day),
        "film_season_end": (season.end_month, season.end_day),
    }


def film_season_view(default_all_year: bool) -> FilmSeasonView:
    """The season in force: the stored one, or the configured default."""
    season = db.session.get(FilmSeason, 1)
    if season is None:
        return FilmSeasonView(default_all_year, fm.SlotSettings.film_season_start,
                              fm.SlotSettings.film_season_end, stored=False)
    return FilmSeasonView(season.all_year, (season.start_month, season.start_day),
                          (season.end_month, season.end_day), stored=True,
                          updated_at=season.updated_at)


# --- Equipment kits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KitData:
    name: str
    contents: str = ""
    base_township_id: int | None = None
    active: bool = True


def _check_kit(data: KitData, kit: EquipmentKit | None) -> tuple[str, str]:
    errors: list[DomainError] = []
    name = calendar_text.check_text(data.name, "name", MAX_KIT_NAME, errors)
    contents = calendar_text.check_text(data.contents, "contents", MAX_KIT_CONTENTS, errors,
                                        required=False)
    if data.base_township_id is not None:
        check_township(data.base_township_id, "base_township_id", errors)
    if name:
        same = select(EquipmentKit.id).where(EquipmentKit.name == name)
        if kit is not None:
            same = same.where(EquipmentKit.id != kit.id)
        if db.session.scalar(same.limit(1)) is not None:
            errors.append(DomainError("name", N_("A kit with this name already exists.")))
    ValidationFailed.collect(errors)
    return name, contents


def _kit_detail(kit: EquipmentKit) -> dict:
    return {"name": kit.name, "contents": kit.contents,
            "base_township_id": kit.base_township_id, "active": kit.active}


def create_kit(data: KitData, *, now: datetime, actor: User | None = None) -> EquipmentKit:
    name, contents = _check_kit(data, None)
    kit = EquipmentKit(name=name, contents=contents, base_township_id=data.base_township_id,
                       active=bool(data.active))
    db.session.add(kit)
    db.session.flush()
    audit("equipment_kit", kit.id, "create", now=now, actor=actor, detail=_kit_detail(kit))
    return kit


def update_kit(kit: EquipmentKit, data: KitData, *, now: datetime,
               actor: User | None = None) -> EquipmentKit:
    name, contents = _check_kit(data, kit)
    before = _kit_detail(kit)
    kit.name, kit.contents = name, contents
    kit.base_township_id, kit.active = data.base_township_id, bool(data.active)
    db.session.flush()
    audit("equipment_kit", kit.id, "update", now=now, actor=actor,
          detail={"before": before, "after": _kit_detail(kit)})
    return kit


def kits_overview() -> list[EquipmentKit]:
    return list(db.session.scalars(
        select(EquipmentKit).options(selectinload(EquipmentKit.base_township), raiseload("*"))
        .order_by(EquipmentKit.active.desc(), EquipmentKit.name)
    ))
