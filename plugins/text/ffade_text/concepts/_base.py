"""What every text-edit concept shares: a grid of severities and batch application.

A value is a *severity*: how many edits are made to each text (0, the neutral value, makes
none). Numbers rather than named operators give the grid a geometry: the DQN generalizes from
"2 typos" to "3 typos", and a microscopic step adds exactly one edit, since severity ``n + 1`` is
severity ``n`` plus one more edit at a seeded site (see ``ffade_text.functional._spans``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ffade.errors import ConceptValueError, as_written
from ffade.plugin_api import Concept
from ffade_text.functional._spans import WORD

MAX_SEVERITY = 1000
"""More edits than any article has sites for; a larger value is a config mistake."""


class TextEdit(Concept):
    """A concept that makes ``value`` edits of one kind to each text of a batch of strings.

    Subclasses implement :meth:`edit`, usually a call to one ``ffade_text.functional`` function.

    Args:
        values: severities, whole numbers in [0, 1000] (default 0..4).
        label: the name in records and reports (default: the plugin name).
        seed: picks the edit sites; the same (text, severity, seed) always gives the same text.
    """

    neutral: ClassVar[Any] = 0
    default_values: ClassVar[Sequence[Any]] = (0, 1, 2, 3, 4)

    def __init__(
        self, values: Sequence[int] | None = None, label: str | None = None, seed: int = 0
    ) -> None:
        super().__init__(values, label)
        # int(1.5) picked seed 1's sites and int("5") took a text, silently; int("abc") or
        # int(None) said only "invalid literal for int()", not which argument
        whole = isinstance(seed, int) or (isinstance(seed, float) and seed.is_integer())
        if isinstance(seed, bool) or not whole:
            raise ConceptValueError(
                f"concept '{self.label}': seed must be a whole number, got {as_written(seed)}"
            )
        self.seed = int(seed)

    def check_value(self, value: Any) -> None:
        """Accept whole numbers of edits in [0, MAX_SEVERITY]."""
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not (whole and 0 <= value <= MAX_SEVERITY):
            raise ConceptValueError(
                f"concept '{self.label}': value {as_written(value)} is not allowed; expected a "
                f"whole number of edits in [0, {MAX_SEVERITY}]"
            )

    def check_inputs(self, inputs: Sequence[Any]) -> list[str]:
        """Refuse an edit no input has a site for (every value would leave the texts as they
        are); note a top severity no input has room for (``delete_word`` 99 on 50-word
        articles): it edits every site, gives the same texts as a smaller value, and is
        reported as edits that were never made. A note, not an error: a grid meant for long
        articles (configs/bart.yaml's 8 edits) still runs on the bundled short ones.

        Exact for every edit family without counting sites: a text has room for ``n`` edits
        exactly when ``n`` edits differ from ``n - 1`` (severity ``n`` is ``n - 1`` plus one).
        """
        odd = next((t for t in inputs if not isinstance(t, str)), None)
        if odd is not None:  # else the first evaluation fails, the progress bar already shown
            raise ConceptValueError(
                f"concept '{self.label}' edits texts, but the task's inputs are "
                f"{type(odd).__name__}: choose concepts for these inputs (ffade plugins concept)"
            )
        texts = list(inputs)
        top = max(self.values)
        if top == 0 or not texts:
            return []
        if any(self._edited(text, top) != self._edited(text, top - 1) for text in texts):
            return []
        most = max(self._room(text, top) for text in texts)
        if most == 0:
            raise ConceptValueError(
                f"concept '{self.label}': none of the task's {len(texts)} inputs has a site for "
                "this edit, so every value leaves them unchanged; choose other inputs, another "
                "concept or (drop_stopwords) other stop_words"
            )
        above = [v for v in self.values if v > most]
        return [
            f"concept '{self.label}': none of the task's {len(texts)} inputs has room for more "
            f"than {most} edit{'' if most == 1 else 's'} of this kind, so "
            f"{', '.join(map(str, above))} make"
            f"{'s' if len(above) == 1 else ''} the same edits as {most}"
        ]

    def _edited(self, text: str, count: int) -> str:
        return self.edit(text, count) if count else text

    def _room(self, text: str, most: int) -> int:
        """How many edits of this kind ``text`` takes, below ``most``: the smallest count whose
        text every larger count leaves as it is (binary search; more edits only add)."""
        full, low, high = self._edited(text, most), 0, most
        while low < high:
            middle = (low + high) // 2
            if self._edited(text, middle) == full:
                high = middle
            else:
                low = middle + 1
        return low

    def apply(self, inputs: Sequence[str], value: int) -> list[str]:
        """Each text of the batch with ``value`` edits; the neutral 0 returns them unchanged."""
        self.check_value(value)
        if not isinstance(inputs, (list, tuple)) or not all(isinstance(t, str) for t in inputs):
            kind = type(inputs).__name__
            if isinstance(inputs, (list, tuple)):
                other = next(t for t in inputs if not isinstance(t, str))
                kind = f"a {kind} of {type(other).__name__}"
            raise ConceptValueError(
                f"concept '{self.label}': inputs must be a list of strings (texts), got {kind}: "
                "a text concept cannot change this task's inputs"
            )
        if value == self.neutral:
            return list(inputs)
        return [self.edit(text, value) for text in inputs]

    def edit(self, text: str, count: int) -> str:
        """One text with ``count`` edits."""
        raise NotImplementedError


def word_list(
    label: str, key: str, value: Any, example: str = "[budget, council]"
) -> list[str] | None:
    """``value`` as a list of words, or None; a string or a list of non-words is one line.

    A bare string would be read letter by letter (``nouns: budget`` as b, u, d, ...).
    """
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ConceptValueError(
            f"concept '{label}': {key} must be a list of words, e.g. {example}; got "
            f"{as_written(value)}"
        )
    bad = [w for w in value if not isinstance(w, str) or not w.strip()]
    if bad:
        raise ConceptValueError(
            f"concept '{label}': {key} entry {as_written(bad[0])} is not allowed; expected a word"
        )
    _one_word(label, key, value)
    return list(value)


def _one_word(label: str, key: str, entries: Any) -> None:
    """Refuse an entry the edits can never find: they match single words ("New York" or
    "set-up" never matched, and was dropped without a word)."""
    bad = next((w for w in entries if not WORD.fullmatch(w)), None)
    if bad is not None:
        raise ConceptValueError(
            f"concept '{label}': {key} entry {as_written(bad)} is not allowed; expected one word "
            "(letters and digits, inner apostrophes), since the edits match single words"
        )


def word_pairs(label: str, key: str, value: Any) -> dict[str, str]:
    """``value`` as a {word: replacement} mapping (empty for None), checked in one line."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in value.items()
    ):
        raise ConceptValueError(
            f"concept '{label}': {key} must map words to their replacements, e.g. "
            f"{{budget: budjet}}; got {as_written(value)}"
        )
    _one_word(label, key, value)
    same = next((k for k, v in value.items() if k.lower() == v.lower()), None)
    if same is not None:
        raise ConceptValueError(
            f"concept '{label}': {key} entry {same!r} is its own misspelling, so its edits "
            "would change nothing; give a different spelling"
        )
    # the edits match words case aside: {Budget: Budjet, budget: budgit} kept one, silently
    seen: dict[str, str] = {}
    for word in value:
        if word.lower() in seen:
            raise ConceptValueError(
                f"concept '{label}': {key} entries {seen[word.lower()]!r} and {word!r} are one "
                "word (the edits match words case aside); keep one"
            )
        seen[word.lower()] = word
    return dict(value)
