"""ask, bench and compress-cot with a remote planner, a remote expander and both, against a real
`python -m llama_cpp.server` on 127.0.0.1 serving SmolLM2 (vLLM, SGLang and Ollama cannot run here; their API
differences are covered by the stub in test_openai_backend.py).

llama-cpp-python's server samples with repeat_penalty 1.1 unless told otherwise; the registry entry sends 1.0
(`extra_body`), and then greedy results equal the in-process run's exactly. It cannot continue a chat message (the
probe after a plan does), so the entry gives the model's chat template, as its GGUF has it: hawkeye then sends
a continued reply as a raw prompt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import llama_cpp
import pytest
import yaml

from cli_runner import Hawkeye, run_hawkeye
from remote_fixtures import smollm_gguf

pytestmark = pytest.mark.slow

QUESTION = "Tom has 3 apples and buys 4 more. How many apples does he have?"
FAST = ["--budget", "12", "--max-tokens", "24", "--ctx", "2048", "--threads", "2"]
LOCAL = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def remote_registry(llama_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A user registry naming the served model, as a user would write it."""
    folder = tmp_path_factory.mktemp("registry")
    gguf = llama_cpp.Llama(model_path=str(smollm_gguf()), vocab_only=True, verbose=False)
    (folder / "smollm2.jinja").write_text(gguf.metadata["tokenizer.chat_template"], encoding="utf-8")
    path = folder / "models.yaml"
    path.write_text(yaml.safe_dump({"models": {"remote-smollm": {
        "source": {"openai": llama_server, "extra_body": {"repeat_penalty": 1.0}},
        "roles": ["planner", "expander"], "prompt_format": "chat", "chat_template": "smollm2.jinja",
        "cost": {"prompt": 0.135, "completion": 0.135},
    }}}), encoding="utf-8")
    patch = pytest.MonkeyPatch()
    patch.setenv("HAWKEYE_MODELS", str(path))
    yield "remote-smollm"
    patch.undo()


def ask_json(planner: str, expander: str) -> dict:
    result = run_hawkeye("ask", QUESTION, "--planner", planner, "--expander", expander, "--json", "--compare", *FAST)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("roles", ["planner", "expander", "both"])
def test_ask_with_remote_roles_matches_in_process(remote_registry: str, roles: str) -> None:
    local = ask_json(LOCAL, LOCAL)
    planner = remote_registry if roles in ("planner", "both") else LOCAL
    expander = remote_registry if roles in ("expander", "both") else LOCAL
    remote = ask_json(planner, expander)
    for stage in ("plan", "expansion"):
        assert remote[stage]["text"] == local[stage]["text"]
        assert remote[stage]["completion_tokens"] == local[stage]["completion_tokens"]
    assert remote["baseline"]["stage"]["text"] == local["baseline"]["stage"]["text"]
    assert remote["final_answer"] == local["final_answer"]
    assert remote["models"] == {"planner": planner, "expander": expander}


def test_ask_with_a_url_on_the_command_line(llama_server: str, hawkeye: Hawkeye) -> None:
    """`URL` alone: the server serves one model, so hawkeye asks it which."""
    result = hawkeye("ask", QUESTION, "--planner", llama_server, "--expander", LOCAL, *FAST)
    assert result.exit_code == 0, result.output
    assert "Final answer:" in result.stdout


def test_an_unreachable_endpoint_is_one_line(hawkeye: Hawkeye) -> None:
    result = hawkeye("ask", QUESTION, "--planner", "http://127.0.0.1:9/v1#m", "--expander", LOCAL, *FAST,
                     "--timeout", "2")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot reach http://127.0.0.1:9/v1" in errors[0]
    assert "Traceback" not in result.output


def bench_rows(data: Path, out: Path, planner: str, expander: str, concurrency: int) -> list[dict]:
    result = run_hawkeye("bench", "gsm8k", "--data", str(data), "--out", str(out), "--limit", "3", "--planner", planner,
                         "--expander", expander, "--profile", "tiny", "--concurrency", str(concurrency), *FAST)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "gsm8k.jsonl").read_text().splitlines()]
    return sorted(({"key": (r["index"], r["mode"], r["budget"]), "cot": r["cot_tokens"],
                    "texts": {k: v["text"] for k, v in r["stages"].items() if k not in PROBED}} for r in rows),
                  key=lambda r: r["key"])


PROBED = ("probe", "expand")
"""What follows a probe of a plan cut at its budget: the planner's probed answer, and the expander's solution written
from the plan ending with it. llama-cpp-python's server reuses the previous prompt's KV cache, so the order requests
arrive in changes how a probe's prompt is batched, and the tiny planner's probed guess with it (as for serve's remote
planner); the plans themselves, the planner alone and the expander alone are compared whole."""


@pytest.mark.parametrize("roles", ["planner", "both"])
def test_bench_rows_are_the_same_at_any_concurrency_and_in_process(remote_registry: str, tmp_path: Path,
                                                                   roles: str) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"question": f"What is {i} + {i}?", "answer": f"#### {2 * i}"}) + "\n"
                            for i in range(3)), encoding="utf-8")
    expander = remote_registry if roles == "both" else LOCAL
    sequential = bench_rows(data, tmp_path / "one", remote_registry, expander, 1)
    concurrent = bench_rows(data, tmp_path / "four", remote_registry, expander, 4)
    assert len(sequential) == 9 and sequential == concurrent
    in_process = bench_rows(data, tmp_path / "local", LOCAL, LOCAL, 1)
    assert [row["texts"] for row in concurrent] == [row["texts"] for row in in_process]
    assert [row["cot"] for row in concurrent] == [row["cot"] for row in in_process]


def test_compress_cot_rewrite_with_a_remote_planner(remote_registry: str, tmp_path: Path, hawkeye: Hawkeye) -> None:
    traces = Path(__file__).parent / "data" / "traces.jsonl"
    out = tmp_path / "out.jsonl"
    result = hawkeye("compress-cot", str(traces), "-o", str(out), "-m", "rewrite", "--planner", remote_registry,
                     "--expander", LOCAL, "--limit", "1", "--ratio", "0.3", "--threads", "2", "--ctx", "2048")
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text().splitlines()[0])
    assert record["compression"]["method"] == "rewrite" and record["cot_compressed"]


def test_compress_cot_verify_with_a_remote_expander_matches_in_process(
    remote_registry: str, tmp_path: Path, hawkeye: Hawkeye
) -> None:
    """The expander counts the filter's tokens (its tokenize endpoint) and answers from the compressed CoT."""
    traces = Path(__file__).parent / "data" / "traces.jsonl"
    records = {}
    for name, expander in (("remote", remote_registry), ("local", LOCAL)):
        out = tmp_path / f"{name}.jsonl"
        result = hawkeye("compress-cot", str(traces), "-o", str(out), "--expander", expander, "--verify",
                         "--limit", "2", "--ratio", "0.35", "--max-tokens", "24", "--threads", "2", "--ctx", "2048")
        assert result.exit_code == 0, result.output
        records[name] = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records["remote"]) == 2
    for remote, local in zip(records["remote"], records["local"], strict=True):
        assert remote["cot_compressed"] == local["cot_compressed"]
        assert (remote["cot_tokens"], remote["cot_kept_tokens"]) == (local["cot_tokens"], local["cot_kept_tokens"])
        assert remote["verify"]["answer"] == local["verify"]["answer"]


def test_surprisal_with_a_remote_scorer_names_a_local_model(
    remote_registry: str, tmp_path: Path, hawkeye: Hawkeye
) -> None:
    traces = Path(__file__).parent / "data" / "traces.jsonl"
    result = hawkeye("compress-cot", str(traces), "-o", str(tmp_path / "o.jsonl"), "-m", "surprisal", "--scorer",
                     remote_registry, "--limit", "1", "--threads", "2", "--ctx", "2048")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot score tokens" in errors[0] and ".gguf" in errors[0]
