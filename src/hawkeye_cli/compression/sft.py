"""`--export-sft`: training data for a concise planner, in the chat format that SFT trainers read.

One JSON line per compressed record: `messages` with the question as the user turn and, as the assistant turn,
the compressed CoT inside <think> tags followed by the response the model wrote after thinking; `source`
names the input record, so that a resumed run appends only what is missing.
"""

from __future__ import annotations

from typing import Any

from hawkeye_cli.backends.base import THINK_CLOSE, THINK_OPEN


def sft_record(question: str, compressed_cot: str, response: str, source: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": f"{THINK_OPEN}\n{compressed_cot}\n{THINK_CLOSE}\n\n{response}"},
        ],
        "source": source,
    }


def sft_key(record: dict[str, Any]) -> str:
    return str(record.get("source"))
