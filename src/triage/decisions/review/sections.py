"""The review's numbers as report sections in one language (the model card's section shape).

A section is ``{"id", "title", "available", "notes", "facts", "tables", "figures",
"lists", "data"}``, so the model card's renderer draws it (``triage.report.render``).
"""

from __future__ import annotations

from typing import Any

from triage.contract import TIERS

from .words import ReviewWords, number, share, with_interval

Section = dict[str, Any]


def _section(sid: str, w: ReviewWords, **content: Any) -> Section:
    out: Section = {"id": sid, "title": w(f"s_{sid}"), "available": True}
    out.update({"notes": [], "facts": [], "tables": [], "figures": [], "lists": [], "data": {}})
    out.update(content)
    return out


def _fact(key: str, value: str, w: ReviewWords) -> dict[str, str]:
    return {"key": key, "label": w(f"f_{key}"), "value": value}


def _table(caption: str, columns: list[str], rows: list[list[str]]) -> dict[str, Any]:
    return {"caption": caption, "columns": columns, "rows": rows}


def _rate_rows(rows: list[dict], label) -> list[list[str]]:
    return [[label(r["key"]), share(r)] for r in rows]


def summary(results: dict, w: ReviewWords) -> Section:
    workers, kappa = results["workers"], results["agreement"]["kappa_linear"]
    facts = [
        _fact("decisions", str(results["decisions"]), w),
        _fact("workers", str(workers["workers"]), w),
        _fact(
            "per_worker",
            f"{number(workers['decisions_median'], 1)}, {workers['decisions_max']}",
            w,
        ),
        _fact("overridden", share(results["overrides"]["overall"]), w),
        _fact("kappa", with_interval(kappa["estimate"], kappa["low"], kappa["high"]), w),
        _fact("up", share(results["direction"]["up"]), w),
        _fact("down", share(results["direction"]["down"]), w),
    ]
    settings = results["settings"]
    note = w(
        "aggregates_only",
        min_n=settings["min_n"], level=settings["level"],
        n_boot=settings["n_boot"], seed=settings["seed"],
    )  # fmt: skip
    return _section("summary", w, facts=facts, notes=[note])


def agreement(results: dict, w: ReviewWords) -> Section:
    a = results["agreement"]
    matrix = [[w.tier(s)] + [str(a["table"][s][d]) for d in TIERS] for s in TIERS]
    by_tier = [
        [w.tier(r["tier"]), str(r["kept"]["n"]), share(r["kept"]), number(r["kappa"])]
        for r in a["by_tier"]
        if r["kept"]["n"]
    ]
    return _section(
        "agreement",
        w,
        notes=[w("agreement_note")],
        tables=[
            _table(w("t_table"), [w("c_tier")] + [w.tier(t) for t in TIERS], matrix),
            _table(w("t_by_tier"), [w("c_tier"), w("c_n"), w("c_kept"), w("c_kappa")], by_tier),
        ],
    )


def overrides(results: dict, w: ReviewWords) -> Section:
    o = results["overrides"]
    columns = ["", w("c_rate")]
    floors = {"absent": w("floor_absent"), "present": w("floor_present")}
    facts = [_fact("below_floor", share(o["below_floor"]), w)]
    if o["route_overridden"]:
        facts.append(_fact("route", share(o["route_overridden"][0]), w))
    return _section(
        "overrides",
        w,
        facts=facts,
        tables=[
            _table(w("t_by_tier"), columns, _rate_rows(o["by_tier"], w.tier)),
            _table(w("t_by_route"), columns, _rate_rows(o["by_route"], w.route)),
            _table(w("t_by_floor"), columns, _rate_rows(o["by_floor"], floors.__getitem__)),
            _table(w("t_by_floor_rule"), columns, _rate_rows(o["by_floor_rule"], str)),
        ],
    )


def direction(results: dict, w: ReviewWords) -> Section:
    d = results["direction"]
    rows = [[w.tier(r["tier"]), str(r["n"]), str(r["up"]), str(r["down"])] for r in d["by_tier"]]
    return _section(
        "direction",
        w,
        facts=[_fact("up", share(d["up"]), w), _fact("down", share(d["down"]), w)],
        tables=[_table(w("t_by_tier"), [w("c_tier"), w("c_n"), w("c_up"), w("c_down")], rows)],
    )


def _status(row: dict, w: ReviewWords, min_n: int) -> str:
    if row["suppressed"]:
        return w("st_suppressed", min_n=min_n)
    return w(f"st_{row.get('status', 'undefined')}")


def groups(results: dict, w: ReviewWords) -> Section:
    settings = results["settings"]
    min_n = settings["min_n"]
    columns = [w("c_feature"), w("c_group"), w("c_rate"), w("c_ratio"), w("c_status")]
    tables = []
    for measure, rows in results["groups"].items():
        body = []
        for r in rows:
            cells = [w.feature(r["feature"]), w.group(r["feature"], r["group"])]
            if r["suppressed"]:
                cells += ["—", "—"]
            else:
                ratio = with_interval(r.get("ratio"), r.get("ratio_low"), r.get("ratio_high"))
                cells += [share(r), ratio]
            body.append([*cells, _status(r, w, min_n)])
        tables.append(_table(w(f"t_measure_{measure}"), columns, body))
    reference = w("ref_largest") if settings["reference"] == "largest" else settings["reference"]
    note = w(
        "groups_note",
        reference=reference, low=settings["band"]["low"], high=settings["band"]["high"],
    )  # fmt: skip
    return _section("groups", w, notes=[note], tables=tables)


def gaps(results: dict, w: ReviewWords) -> Section:
    settings = results["settings"]
    tiers = w.tiers(settings["flag_tiers"])
    shares_rows = []
    for r in results["gaps"]["shares"]:
        cells = [w.feature(r["feature"]), w.group(r["feature"], r["group"])]
        if r["suppressed"]:
            cells += ["—", "—", w("st_suppressed", min_n=settings["min_n"])]
        else:
            cells += [share(r["suggested"]), share(r["decided"]), ""]
        shares_rows.append(cells)
    gap_rows = []
    for g in results["gaps"]["gaps"]:
        for measure in ("ratio", "difference"):
            m = g[measure]
            c = m["change"]
            gap_rows.append(
                [
                    w.feature(g["feature"]), w(f"m_{measure}"), number(m["suggested"]),
                    number(m["decided"]), with_interval(c["estimate"], c["low"], c["high"]),
                    w(f"v_{m['verdict']}"),
                ]
            )  # fmt: skip
    return _section(
        "gaps",
        w,
        notes=[w("gaps_note", tiers=tiers)],
        tables=[
            _table(
                w("t_gaps"),
                [
                    w("c_feature"),
                    w("c_measure"),
                    w("c_gap_suggested"),
                    w("c_gap_decided"),
                    w("c_change"),
                    w("c_verdict"),
                ],
                gap_rows,
            ),  # fmt: skip
            _table(
                w("t_shares", tiers=tiers),
                [w("c_feature"), w("c_group"), w("c_suggested"), w("c_decided"), w("c_status")],
                shares_rows,
            ),
        ],
    )


def timing(results: dict, w: ReviewWords) -> Section:
    t = results["timing"]
    rows = [
        [
            w("all"),
            str(t["overall"]["n"]),
            number(t["overall"]["median"], 1),
            number(t["overall"]["p90"], 1),
        ]
    ]
    rows += [
        [w.tier(r["tier"]), str(r["n"]), number(r["median"], 1), number(r["p90"], 1)]
        for r in t["by_tier"]
        if r["n"]
    ]
    columns = [w("c_tier"), w("c_n"), w("c_median_h"), w("c_p90_h")]
    return _section(
        "timing", w, notes=[w("timing_note")], tables=[_table(w("t_by_tier"), columns, rows)]
    )


def reasons(results: dict, w: ReviewWords) -> Section:
    r = results["reasons"]
    rows = [
        [
            w("chars_range", lo=b["from"], hi=b["to"])
            if b["to"]
            else w("chars_over", lo=b["from"] - 1),
            str(b["n"]),
        ]
        for b in r["bins"]
    ]
    facts = [
        _fact("reasons", str(r["n"]), w),
        _fact("median_chars", number(r["median"], 0), w),
        _fact("p90_chars", number(r["p90"], 0), w),
    ]
    return _section(
        "reasons",
        w,
        notes=[w("reasons_note")],
        facts=facts,
        tables=[_table("", [w("c_chars"), w("c_n")], rows)],
    )


def truth(results: dict, w: ReviewWords) -> Section | None:
    t = results["truth"]
    if t is None:
        return None
    facts = [_fact("truth_n", f"{t['with_truth']} / {t['overrides']}", w)]
    if not t["with_truth"]:
        return _section("truth", w, facts=facts, notes=[w("no_truth_rows")])
    rows = [[w(k), share(t[k])] for k in ("toward", "away", "neither")]
    return _section(
        "truth",
        w,
        facts=facts,
        notes=[w("truth_note")],
        tables=[_table(w("t_truth"), [w("c_where"), w("c_share")], rows)],
    )


def review_sections(results: dict, lang: str) -> list[Section]:
    w = ReviewWords(lang)
    built = [
        summary(results, w),
        agreement(results, w),
        overrides(results, w),
        direction(results, w),
        groups(results, w),
        gaps(results, w),
        timing(results, w),
        reasons(results, w),
        truth(results, w),
    ]
    return [s for s in built if s is not None]
