"""The planner's thinking on a session: rounds, a probe after each, and the rule that stops it.

A probe appends the task's answer cue to the thinking so far (Dynasor-CoT's `… **Final Answer** \\boxed{`), lets
the planner write a few tokens greedily and reads them with Math-Verify; the session then forgets it. With the
adaptive budget, thinking stops when the last N probed answers are equivalent and the round did not hedge
(converged), when the planner ends its thinking itself (ended), or at the cap; with `--stop-when agree`, as soon
as the expander's short answer from the plan so far equals the planner's (agreed). A fixed budget thinks once, up
to the budget, and is probed once: the planner's answer is what the plan ends with when the budget cut it, and
what the expander's answer is compared with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from hawkeye_cli.backends.base import Completion, FinishReason, Session, summed
from hawkeye_cli.budget import Adaptive, Budget, most_tokens
from hawkeye_cli.pipeline.prompts import PROBE_STOPS, PROBE_TOKENS, ProbeForm
from hawkeye_cli.scoring.verdict import read_answer, same_answer

StopReason = Literal["ended", "converged", "agreed", "budget", "cap"]
"""Why thinking stopped: the planner ended it, its answers converged, the expander agreed with it, or it reached
the fixed budget or the adaptive cap."""
BY_THE_RULE: tuple[StopReason, ...] = ("converged", "agreed")
"""The adaptive stop's own reasons, after which the planner may think further (resume)."""

HEDGING = re.compile(r"\b(wait|hmm+|hold on|alternatively|double[- ]?check|re-?check|let me (?:check|verify)|"
                     r"not sure)\b", re.IGNORECASE)
"""Dynasor's uncertain words (wait, hold, hmm) and DEER's reflection cue (Alternatively), matched as whole words:
Dynasor's substring test finds 'no' in 'not', and 'but' or 'okay' begin ordinary steps."""

AgreementCheck = Callable[[str], tuple[str | None, Completion]]
"""`--stop-when agree`: the expander's short answer from the plan so far, and what it cost."""


@dataclass(frozen=True)
class Probe:
    after_tokens: int
    """Thinking tokens before it."""
    answer: str | None
    """The planner's answer as Math-Verify reads it; None when it wrote none."""
    completion: Completion
    """Its own cost: prompt_tokens are the probe's tokens evaluated on top of the cached thinking."""
    hedged: bool
    """The round before it (or the probe itself) hedged: its answer is not yet trusted."""


class Planning:
    """One question's thinking: `think` until a stop, and `resume` (`--on-disagree resume`) from where it stopped."""

    def __init__(self, session: Session, budget: Budget, probe: ProbeForm | None, *,
                 check: AgreementCheck | None = None, on_text: Callable[[str], None] | None = None,
                 on_probe: Callable[[Probe], None] | None = None) -> None:
        self.session = session
        self.budget = budget
        self.probe = probe
        """None for a planner that cannot be probed (it thinks once, to the budget)."""
        self.check = check
        self.on_text = on_text
        self.on_probe = on_probe
        self.rounds: list[Completion] = []
        self.probes: list[Probe] = []
        self.checks: list[Completion] = []
        self.stop: StopReason | None = None
        self.stated: str | None = None
        """The answer the planner wrote itself, in the task's form, when it ended its thinking with one: then it
        is not probed for it."""
        self._window = 0
        """Where the answers that may converge begin: a resumed planning needs N new ones."""

    @property
    def tokens(self) -> int:
        return sum(completion.completion_tokens for completion in self.rounds)

    @property
    def answer(self) -> str | None:
        """The answer the planner stated, else its last probed one."""
        if self.stated is not None:
            return self.stated
        return self.probes[-1].answer if self.probes else None

    def think(self) -> StopReason:
        if isinstance(self.budget, int) or self.probe is None:
            ended = self._round(most_tokens(self.budget))
            if self.probe is not None and not self._stated(ended):
                self._probe()
            self.stop = ended or ("budget" if isinstance(self.budget, int) else "cap")
            return self.stop
        return self._adaptive(self.budget)

    def resume(self) -> StopReason:
        """Think further after a stop by the rule; N new agreeing answers are needed to stop again."""
        assert isinstance(self.budget, Adaptive) and self.stop in BY_THE_RULE, "nothing to resume"
        self._window = len(self.probes)
        return self._adaptive(self.budget)

    @property
    def conclusion(self) -> str:
        """What the plan handed to the expander ends with: the planner's answer, unless it ended its thinking
        itself (then it has said what it concluded)."""
        if self.stop == "ended" or self.answer is None:
            return ""
        return f"\n\nFinal answer: {self.answer}"

    def merged(self) -> Completion:
        """The rounds as one completion: the thinking's text, tokens and time."""
        finish: FinishReason = "length" if self.stop in ("budget", "cap") else self.rounds[-1].finish_reason
        if self.stop in BY_THE_RULE:
            finish = "stop"
        return summed(self.rounds, self.session.text, finish)

    def _adaptive(self, budget: Adaptive) -> StopReason:
        self.stop = None
        while self.stop is None:
            if self.tokens >= budget.cap:
                self.stop = "cap"
                break
            ended = self._round(min(budget.round_tokens, budget.cap - self.tokens))
            if self._stated(ended):
                self.stop = "ended"
                break
            probe = self._probe()
            if ended:
                self.stop = ended
            elif self.check is not None:
                expander_answer, completion = self.check(self.session.text)
                self.checks.append(completion)
                self.stop = "agreed" if same_answer(probe.answer, expander_answer) else None
            elif self._converged(budget.agreeing):
                self.stop = "converged"
        return self.stop

    def _round(self, max_tokens: int) -> Literal["ended", "cap"] | None:
        """One round; "ended" when the planner ended its thinking, "cap" when the context ran out."""
        completion = self.session.extend(max_tokens, self.on_text)
        self.rounds.append(completion)
        if completion.finish_reason == "context":
            return "cap"
        return None if completion.finish_reason == "length" else "ended"

    def _stated(self, ended: str | None) -> bool:
        """Whether the planner ended its thinking with an answer after the task's mark (`#### 18`), which then
        needs no probe: a chat planner that does not think writes its answer itself."""
        mark = self.probe.mark.strip() if self.probe is not None else ""
        at = self.session.text.rfind(mark) if mark else -1
        if ended != "ended" or at < 0:
            return False
        self.stated = read_answer(self.session.text[at:])
        return self.stated is not None

    def _probe(self) -> Probe:
        assert self.probe is not None, "a planner that cannot be probed is not"
        completion = self.session.probe(self.probe.lead + self.probe.mark, PROBE_TOKENS, PROBE_STOPS, self.probe.end)
        round_text = self.rounds[-1].text if self.rounds else ""
        probe = Probe(self.tokens, read_answer(self.probe.mark + completion.text), completion,
                      bool(HEDGING.search(round_text) or HEDGING.search(completion.text)))
        self.probes.append(probe)
        if self.on_probe is not None:
            self.on_probe(probe)
        return probe

    def _converged(self, agreeing: int) -> bool:
        window = self.probes[self._window :][-agreeing:]
        if len(window) < agreeing or window[-1].hedged:
            return False
        last = window[-1].answer
        return last is not None and all(same_answer(probe.answer, last) for probe in window[:-1])
