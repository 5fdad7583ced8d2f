"""The drug list is one file (resources/vocab/common_drugs.txt); Whisper's hot words, the drug
recovery's candidates and the vocabulary's common names are all read from it."""

from __future__ import annotations

from audio import drug_rescore, whisper_engine, wordlists


def test_the_hot_words_are_the_ranked_drugs_of_the_one_list_most_prescribed_first() -> None:
    hot = wordlists.hotword_drugs()
    assert hot[:3] == ("atorvastatin", "levothyroxine", "lisinopril")
    assert set(hot) <= set(wordlists.common_drugs())
    expected = "Medications: " + ", ".join(hot) + "."
    prompt = whisper_engine.HOTWORDS
    assert prompt == expected


def test_every_form_of_the_drug_list_reads_names_without_their_rank_tags() -> None:
    names = wordlists.common_drugs()
    assert len(names) > 250 and not any("|" in n or n != n.strip() for n in names)
    assert drug_rescore.common_drugs() == names
    assert wordlists.common_drug_names() == frozenset(names)
