"""Reading a run folder back (the writing side is `arena.persist.runs`): its config, its metrics
one line a generation, and a summary of both with the files the run left behind."""

import json
import math
from dataclasses import dataclass
from pathlib import Path

from arena.core.errors import RunError
from arena.core.fileio import read_json, read_text
from arena.persist.runs import CHECKPOINT_NAME, checkpoints_of, wall_time

BRAIN_SUFFIX = ".brain.json"
# config.json fields a summary shows: name -> (type, what the message says is expected)
CONFIG_FIELDS = {"arena": (str, "a name"), "brain": (str, "a name"), "level": (str, "a path"),
                 "population": (int, "a whole number"), "seed": (int, "a whole number"),
                 "generations": (int, "a whole number")}
FITNESS_FIELDS = ("best_fitness", "mean_fitness", "median_fitness")


@dataclass
class RunInfo:
    """A run folder as read: `history` holds the metrics lines in order, as dicts."""

    path: Path
    config: dict
    history: list
    torn_last_line: bool  # the last metrics line was cut short (a crash mid-write) and skipped

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def roles(self) -> list:
        """Role names of a co-evolution run (empty for a run of one population)."""
        return list(self.config.get("roles") or {})


def load_run(run_dir) -> RunInfo:
    """Read `run_dir`; a missing folder, a bad config.json or a damaged metrics line is a RunError.

    A run whose first generation has not ended yet has no metrics.jsonl: its history is empty.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise RunError(f"{path}: no such run folder" if not path.exists() else f"{path}: is not a run folder")
    config = read_json(path / "config.json", "run config", RunError)
    _check_config(config, path / "config.json")
    metrics = path / "metrics.jsonl"
    if not metrics.exists():
        return RunInfo(path, config, [], False)
    history, torn = _read_metrics(metrics, config)
    return RunInfo(path, config, history, torn)


def _check_config(config, path: Path) -> None:
    if not isinstance(config, dict):
        raise RunError(f"{path}: not a run config (expected a JSON object)")
    for name, (kind, expected) in CONFIG_FIELDS.items():
        value = config.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise RunError(f"{path}: field '{name}' should be {expected}, got {value!r}")
    roles = config.get("roles")
    if roles is not None and not (isinstance(roles, dict) and roles):
        raise RunError(f"{path}: field 'roles' should map role names to their settings, got {roles!r}")


def _read_metrics(path: Path, config: dict) -> tuple:
    """(the valid lines as dicts, whether a torn last line was skipped)."""
    lines = read_text(path, "metrics", RunError).splitlines()
    numbered = [(k + 1, line) for k, line in enumerate(lines) if line.strip()]
    roles = list(config.get("roles") or {})
    history, torn = [], False
    for position, (number, line) in enumerate(numbered):
        try:
            row = json.loads(line, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            if position == len(numbered) - 1:
                torn = True  # the run crashed while writing its last line; the lines before are whole
                break
            raise RunError(f"{path}: line {number} is not JSON ({str(exc).splitlines()[0]})") from None
        _check_row(row, roles, f"{path}: line {number}")
        if history and row["generation"] <= history[-1]["generation"]:
            raise RunError(f"{path}: line {number}: generation {row['generation']} follows generation "
                           f"{history[-1]['generation']}")
        history.append(row)
    return history, torn


def _reject_constant(name):
    raise ValueError(f"non-finite number {name}")


def _check_row(row, roles: list, where: str) -> None:
    if not isinstance(row, dict):
        raise RunError(f"{where}: expected a JSON object")
    for name in ("generation", "evaluations", "finished"):
        if not _is_count(row.get(name)):
            raise RunError(f"{where}: field '{name}' should be a whole number, got {row.get(name)!r}")
    for name in (*FITNESS_FIELDS, "wall_s"):
        if not _is_number(row.get(name)):
            raise RunError(f"{where}: field '{name}' should be a number, got {row.get(name)!r}")
    if "species" in row:
        _check_species(row["species"], f"{where}: field 'species'")
    if roles:
        per_role = row.get("roles")
        if not isinstance(per_role, dict):
            raise RunError(f"{where}: field 'roles' should hold each role's statistics, got {per_role!r}")
        for role in roles:
            stats = per_role.get(role)
            if not isinstance(stats, dict):
                raise RunError(f"{where}: field 'roles.{role}' is missing")
            for name in FITNESS_FIELDS:
                if not _is_number(stats.get(name)):
                    raise RunError(f"{where}: field 'roles.{role}.{name}' should be a number, got {stats.get(name)!r}")
            if "species" in stats:
                _check_species(stats["species"], f"{where}: field 'roles.{role}.species'")
        scripted = row.get("vs_scripted")
        if scripted is not None and not (isinstance(scripted, dict) and all(isinstance(v, dict)
                                                                             for v in scripted.values())):
            raise RunError(f"{where}: field 'vs_scripted' should hold a result per role, got {scripted!r}")


def _check_species(species, where: str) -> None:
    """{species id as text: members}"""
    if not (isinstance(species, dict) and all(k.isdigit() and _is_count(v) for k, v in species.items())):
        raise RunError(f"{where} should map species ids to sizes, got {species!r}")


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _best(rows: list) -> tuple:
    """(best fitness, its first generation) over (generation, fitness) pairs; (None, None) if none."""
    if not rows:
        return None, None
    generation, fitness = max(rows, key=lambda pair: (pair[1], -pair[0]))
    return fitness, generation


def summarise(run: RunInfo) -> dict:
    """What the run is, how far it got and what it left behind, as plain JSON data."""
    history, config = run.history, run.config
    best_fitness, best_generation = _best([(row["generation"], row["best_fitness"]) for row in history])
    solved = next((row["generation"] for row in history if row["finished"] > 0), None)
    wall = wall_time(history)
    done = history[-1]["generation"] + 1 if history else 0
    evaluations = history[-1]["evaluations"] if history else 0
    checkpoints = [int(CHECKPOINT_NAME.match(p.name).group(1)) for p in checkpoints_of(run.path)]
    brains = {p.name[len("best-"):-len(BRAIN_SUFFIX)]: str(p)
              for p in sorted(run.path.glob(f"best-*{BRAIN_SUFFIX}")) if p.is_file()}
    summary = {
        "run_dir": str(run.path),
        "arena": config["arena"],
        "brain": config["brain"],
        "level": config["level"],
        "population": config["population"],
        "seed": config["seed"],
        "generations_configured": config["generations"],
        "generations_done": done,
        "evaluations": evaluations,
        "best_fitness": best_fitness,
        "best_generation": best_generation,
        "solved_generation": solved,
        "wall_s": round(wall, 6),
        "generations_per_s": done / wall if wall > 0 else None,
        "evaluations_per_s": evaluations / wall if wall > 0 else None,
        "checkpoints": checkpoints,
        "best_brains": brains,
        "roles": None,
        "vs_scripted": None,
        "torn_last_line": run.torn_last_line,
    }
    if run.roles:
        summary["roles"] = {}
        for role in run.roles:
            fitness, generation = _best([(row["generation"], row["roles"][role]["best_fitness"]) for row in history])
            summary["roles"][role] = {"best_fitness": fitness, "best_generation": generation}
        summary["vs_scripted"] = next((row["vs_scripted"] for row in reversed(history) if row.get("vs_scripted")),
                                      None)
    return summary


def summary_lines(summary: dict) -> list:
    """The summary as aligned 'label  value' lines for people."""
    def number(value):
        return "-" if value is None else f"{value:.6g}"

    def rate(value):
        return "-" if value is None else f"{value:.1f}" if value >= 10 else f"{value:.3g}"

    def best(fitness, generation):
        return "-" if fitness is None else f"{number(fitness)} (generation {generation})"

    rows = [
        ("run", summary["run_dir"]),
        ("arena", summary["arena"]),
        ("brain", summary["brain"]),
        ("level", summary["level"]),
        ("population", str(summary["population"])),
        ("seed", str(summary["seed"])),
        ("generations", f"{summary['generations_done']} of {summary['generations_configured']}"),
        ("evaluations", str(summary["evaluations"])),
    ]
    if summary["roles"]:
        rows += [(f"best {role}", best(stats["best_fitness"], stats["best_generation"]))
                 for role, stats in summary["roles"].items()]
    else:
        rows.append(("best fitness", best(summary["best_fitness"], summary["best_generation"])))
    solved = summary["solved_generation"]
    checkpoints = summary["checkpoints"]
    rows += [
        ("solved", "no" if solved is None else f"first finish in generation {solved}"),
        ("wall time", f"{summary['wall_s']:.2f} s"),
        ("speed", f"{rate(summary['generations_per_s'])} generations/s, "
                  f"{rate(summary['evaluations_per_s'])} evaluations/s"),
        ("checkpoints", f"after generation{'s' * (len(checkpoints) > 1)} {', '.join(map(str, checkpoints))}"
                        if checkpoints else "none"),
        ("best brains", ", ".join(Path(p).name for p in summary["best_brains"].values()) or "none"),
    ]
    for role, result in (summary["vs_scripted"] or {}).items():
        rows.append((f"{role} vs scripted", "  ".join(f"{k} {number(v) if _is_number(v) else v}"
                                                      for k, v in result.items())))
    width = max(len(label) for label, _ in rows)
    return [f"{label:<{width}}  {value}" for label, value in rows]
