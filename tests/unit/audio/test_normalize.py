import pytest
from hypothesis import given
from hypothesis import strategies as st

from audio.normalize import normalize


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("blood pressure one fifty over ninety", "blood pressure 150/90"),
        ("blood pressure one forty two over eighty eight", "blood pressure 142/88"),
        ("temperature ninety eight point six degrees fahrenheit", "temperature 98.6 °F"),
        ("temperature thirty seven point two degrees celsius", "temperature 37.2 °C"),
        ("metformin five hundred milligrams by mouth twice a day", "metformin 500 mg by mouth twice daily"),
        ("levothyroxine fifty micrograms once daily", "levothyroxine 50 mcg once daily"),
        ("oxygen saturation ninety seven percent", "oxygen saturation 97%"),
        ("take two tablets for three to five days", "take 2 tablets for 3-5 days"),
        ("seen on january fifth twenty twenty four", "seen on January 5, 2024"),
        ("no fever period", "no fever."),
        ("one of the symptoms", "one of the symptoms"),
        ("last menstrual period was two weeks ago", "last menstrual period was 2 weeks ago"),
    ],
)
def test_spoken_text_is_written_the_clinical_way(spoken: str, written: str) -> None:
    assert normalize(spoken) == written


def test_new_paragraph_becomes_a_paragraph_break() -> None:
    assert normalize("cough for a week new paragraph lungs clear") == "cough for a week\n\nlungs clear"


@given(st.text(alphabet=st.sampled_from(list("abc one two fifty over point mg 123/.,")), max_size=40))
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
