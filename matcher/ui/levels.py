"""Level comparison: the current level of a track against the next one ("am I ready for L5?")."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from ..compare import LevelComparison, compare_reports, level_of, next_level
from ..config import Settings
from ..models import Ladder
from ..report import Report
from .resources import analyse, app_settings, level_catalogue, read_ladder_upload
from .safe import md_escape
from .state import kept, kept_files
from .views import pillar_examples, readable, statement_table
from .widgets import (
    DEFAULT_LADDER,
    LADDER_TYPES,
    Download,
    document_input,
    download_row,
    earlier_files_note,
    guarded,
    ladder_label,
    show_warnings,
)

__all__ = ["UPLOADED_TRACK", "comparison_downloads", "render", "render_comparison", "track_name", "tracks"]

PREFIX = "lvl"


def render() -> None:
    st.title("Am I ready for the next level?")
    st.caption(
        "Match your brag document against your current level and the next one in the same track: "
        "what of the next level you already evidence, and what is new there and not yet shown."
    )
    settings = guarded(app_settings)
    if settings is None:
        return
    pair = _pick_levels()
    doc = document_input(PREFIX, settings)
    if pair is None or doc is None:
        return
    current, nxt = pair
    comparison = _compare(doc.text, current, nxt, settings)
    if comparison is not None:
        render_comparison(comparison, nxt)


UPLOADED_TRACK = "Your uploaded ladders"


def tracks(ladders: list[Ladder], root: Path | None = None) -> dict[str, list[Ladder]]:
    """Levelled ladders with statements, grouped into tracks named for people (a folder's name
    below `root`, dashes as spaces; never a path), each sorted by level. Ladders without a path
    (uploaded ones) form one track of their own."""
    out: dict[str, list[Ladder]] = defaultdict(list)
    for lad in ladders:
        if not lad.statements or level_of(lad) is None:
            continue
        out[UPLOADED_TRACK if lad.path is None else track_name(lad.path.parent, root)].append(lad)
    return {k: sorted(v, key=lambda lad: (level_of(lad), lad.title)) for k, v in sorted(out.items())}


def track_name(folder: Path, root: Path | None) -> str:
    try:
        parts = folder.relative_to(root).parts if root is not None else (folder.name,)
    except ValueError:
        parts = (folder.name,)
    return " / ".join(p.replace("-", " ").replace("_", " ") for p in parts) or "General"


def _pick_levels() -> tuple[Ladder, Ladder] | None:
    catalogue = guarded(level_catalogue) or ([], None)
    ladders, root = catalogue
    keep, earlier = kept_files(f"{PREFIX}_ladder_files")
    uploads = st.file_uploader(
        "Add your own ladder files (optional, one .md file per level)",
        type=LADDER_TYPES,
        accept_multiple_files=True,
        help="Career-ladder files in the OctopusDeploy format, e.g. L4 and L5 of your track. They stay "
        "in memory for this session.",
        **keep,
    )
    if not uploads and earlier:
        uploads = earlier
        names = ", ".join(md_escape(f.name) for f in earlier)
        earlier_files_note(
            f"{PREFIX}_ladder_files",
            f"Using the ladder files uploaded earlier in this session: {names}.",
            "Remove these files",
        )
    uploaded = [lad for lad in (guarded(read_ladder_upload, u) for u in uploads or []) if lad is not None]
    by_track = tracks([*uploaded, *ladders], root)
    if not by_track:
        st.info(
            "No ladders with levels (L1 … L6) to compare: add your track's ladder files above.",
            icon=":material/upload_file:",
        )
        return None
    names = list(by_track)
    preferred = (
        names.index(UPLOADED_TRACK)
        if UPLOADED_TRACK in names
        else next((i for i, n in enumerate(names) if "software" in n.lower()), 0)
    )
    track = st.selectbox(
        "Track", names, **kept(f"{PREFIX}_track_{len(uploaded)}", default=names[preferred], options=names)
    )
    levels = by_track[track]
    left, right = st.columns(2, gap="medium")
    labels = [ladder_label(lad) for lad in levels]
    current_i = left.selectbox(
        "Your current level",
        range(len(levels)),
        format_func=lambda i: labels[i],
        **kept(f"{PREFIX}_current_{track}", default=_default_current(levels), options=range(len(levels))),
    )
    current = levels[current_i]
    found = next_level(current, levels)
    others = [lad for lad in levels if lad is not current]
    if not others:
        st.info(
            "This track has a single level: there is nothing to compare with. Add the next level's ladder file above."
        )
        return None
    default = others.index(found) if found in others else len(others) - 1
    next_i = right.selectbox(
        "Compare with",
        range(len(others)),
        format_func=lambda i: ladder_label(others[i]),
        # A new default whenever the current level changes.
        **kept(f"{PREFIX}_next_{track}_{current_i}", default=default, options=range(len(others))),
        help="The next level in the track is picked for you; any other level works too.",
    )
    if found is None:
        st.caption("This is the highest level of the track; pick a level to compare with.")
    return current, others[next_i]


def _default_current(levels: list[Ladder]) -> int:
    """The default ladder's level when it is in this track, else the level below the top."""
    for i, lad in enumerate(levels[:-1]):
        if lad.id == DEFAULT_LADDER:
            return i
    return max(0, len(levels) - 2)


def _compare(text: str, current: Ladder, nxt: Ladder, settings: Settings) -> LevelComparison | None:
    with st.spinner("Matching your document against both levels…"):
        cur = guarded(analyse, text, current, settings)
        if cur is None:
            return None
        other = guarded(analyse, text, nxt, settings)
    return compare_reports(cur, other) if other is not None else None


def comparison_downloads(c: LevelComparison) -> list[Download]:
    stem = f"readiness-{c.next.ladder.get('id') or 'next-level'}"
    return [
        Download("Markdown", c.to_markdown(), f"{stem}.md", "text/markdown"),
        Download("JSON", c.to_json(), f"{stem}.json", "application/json"),
    ]


def render_comparison(c: LevelComparison, nxt: Ladder) -> None:
    show_warnings(c.warnings)
    cur_tag = c.current.ladder.get("level") or "current"
    tag = c.next.ladder.get("level") or "next"
    cur_cov = len(c.current.statements) - len(c.current.uncovered)
    # A "new" badge on every row would be noise: only mark new statements when levels share some.
    shares = c.shares_statements
    cur_rough, rough = _rough(c.current), _rough(c.next)
    with st.container(horizontal=True):
        st.metric(
            f"{cur_tag} evidenced",
            f"{cur_cov} / {len(c.current.statements)}",
            border=True,
            help=cur_rough,
        )
        st.metric(
            f"{tag} already evidenced",
            f"{len(c.evidenced)} / {len(c.next.statements)}",
            border=True,
            help=rough,
        )
        st.metric(f"Readiness for {tag}", f"{c.readiness:.0%}", border=True, help=rough)
        if shares:
            st.metric(
                f"New at {tag}, evidenced",
                f"{len(c.new_evidenced)} / {len(c.new)}",
                border=True,
                help=f"Statements of {tag} that {cur_tag} does not have: usually what a promotion case hinges on.",
            )
        else:
            st.metric(f"Not yet evidenced at {tag}", len(c.not_yet), border=True)
    st.altair_chart(_pillar_chart(c), width="stretch")
    download_row(comparison_downloads(c), key=f"{PREFIX}_dl")
    labels = [
        f"Already evidenced at {tag} ({len(c.evidenced)})",
        f"Not yet evidenced at {tag} ({len(c.not_yet)})",
    ]
    # Open on the gaps when nothing is evidenced yet, rather than on an empty tab.
    ready, not_yet = st.tabs(labels, default=labels[0] if c.evidenced else labels[1])
    new = set(c.new) if shares else set()
    with ready:
        _statements(c, c.evidenced, tag, nxt, new=new, gaps=False)
    with not_yet:
        _statements(c, c.not_yet, tag, nxt, new=new, gaps=True)


def _rough(report: Report) -> str | None:
    """A metric's tooltip when its ladder lacks exemplars: the number is rougher than the rest."""
    if not report.meta.get("warnings"):
        return None
    return "Rough: this level's ladder lacks evidence exemplars, so its matches are less accurate."


def _pillar_chart(c: LevelComparison) -> alt.Chart:
    rows = []
    for report in (c.current, c.next):
        level = report.ladder.get("level") or report.ladder.get("id", "")
        rows += [
            {
                "pillar": p.name,
                "level": level,
                "share": p.covered / p.total if p.total else 0.0,
                "label": f"{p.covered}/{p.total}",
            }
            for p in report.pillars
        ]
    frame = pd.DataFrame(rows)
    order = list(dict.fromkeys(p.name for p in (*c.next.pillars, *c.current.pillars)))
    y = alt.Y("pillar:N", sort=order, title=None, axis=alt.Axis(labelLimit=260, labelFontSize=13))
    levels = list(dict.fromkeys(frame["level"]))
    color = alt.Color(
        "level:N",
        sort=levels,
        scale=alt.Scale(range=["#9fb8ad", "#1f6f5c"]),
        legend=alt.Legend(orient="bottom", title=None),
    )
    base = alt.Chart(frame).encode(y=y, yOffset=alt.YOffset("level:N", sort=levels), color=color)
    bars = base.mark_bar().encode(
        x=alt.X(
            "share:Q",
            title="share of the pillar's statements evidenced",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        ),
        tooltip=["pillar:N", "level:N", "label:N"],
    )
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(x="share:Q", text="label:N", color=alt.value("#333"))
    parts = "; ".join(f"{r['pillar']} at {r['level']}: {r['label']}" for r in rows)
    return readable(
        (bars + text).properties(height=alt.Step(18)),
        f"Bar chart of the share of each pillar's statements evidenced at both levels: {parts}.",
    )


def _statements(c: LevelComparison, ids: tuple[str, ...], tag: str, nxt: Ladder, *, new: set[str], gaps: bool) -> None:
    if not ids:
        if gaps:
            st.success(f"You already evidence every {tag} statement.")
        else:
            st.info(f"Nothing of {tag} is evidenced yet: the other tab lists what {tag} asks for.")
        return
    wanted = set(ids)
    for p in c.next.pillars:
        if not any(s.pillar == p.name and s.id in wanted for s in c.next.statements):
            continue
        st.subheader(md_escape(p.name), divider="gray")
        table = statement_table(c.next, p.name, only=wanted, new=new, new_label=f"new at {tag}")
        st.table(table, hide_index=True, border="horizontal")
        examples = pillar_examples(nxt, p.name) if gaps else []
        if examples:
            with st.expander(f"What evidence can look like here at {md_escape(tag)}"):
                st.markdown("\n".join(f"- {md_escape(e)}" for e in examples))
