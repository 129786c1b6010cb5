"""Every text plugin resolves by its entry-point name through ffade's registry, from ffade-text."""

from __future__ import annotations

import pytest
from ffade_text import concepts, datasets, rewards, targets

from ffade import registry

EXPECTED = {
    "target": {
        "seq2seq_summarizer": targets.Seq2SeqSummarizer,
        "tiny_news_bart": targets.TinyNewsBart,
    },
    "dataset": {"summaries": datasets.SummaryDataset, "tiny_news": datasets.TinyNewsDataset},
    "reward": {
        "bleu": rewards.Bleu,
        "rougel": rewards.RougeL,
        "bleu_drop": rewards.BleuDrop,
        "rougel_drop": rewards.RougeLDrop,
    },
    "concept": {
        "drop_stopwords": concepts.DropStopwords,
        "remove_punctuation": concepts.RemovePunctuation,
        "lowercase": concepts.Lowercase,
        "negate": concepts.Negate,
        "delete_char": concepts.DeleteChar,
        "insert_char": concepts.InsertChar,
        "swap_char": concepts.SwapChar,
        "repeat_char": concepts.RepeatChar,
        "keyboard_typo": concepts.KeyboardTypo,
        "misspell": concepts.Misspell,
        "delete_word": concepts.DeleteWord,
        "repeat_word": concepts.RepeatWord,
        "shuffle_words": concepts.ShuffleWords,
        "singular_plural": concepts.SingularPlural,
        "verb_tense": concepts.VerbTense,
    },
}
CASES = [(kind, name, cls) for kind, names in EXPECTED.items() for name, cls in names.items()]


@pytest.mark.parametrize(("kind", "name", "cls"), CASES, ids=[c[1] for c in CASES])
def test_entry_point_loads_the_class(kind: str, name: str, cls: type) -> None:
    assert registry.load(kind, name) is cls
    info = {(p.kind, p.name): p for p in registry.available(kind)}[(kind, name)]
    assert info.distribution.startswith("ffade-text ")


def test_the_paper_edits_are_all_there() -> None:
    assert len(EXPECTED["concept"]) == 15  # the paper's 16, with singular/plural as one edit
