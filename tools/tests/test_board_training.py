"""Board training refuses settings outside their ranges before it loads anything."""
import pytest

from tools import board_training


@pytest.mark.parametrize("flag,value", [("--reference-weight", "1.5"), ("--reference-weight", "-0.1"),
                                        ("--distill", "2")])
def test_weights_outside_zero_to_one_are_refused(flag, value):
    with pytest.raises(SystemExit) as e:
        board_training.main(["--calibration", "no-such-file.json", "--task", "spoken_digits", flag, value])
    assert "outside 0 to 1" in str(e.value)


@pytest.mark.parametrize("flag,value,says", [("--event-dropout", "1", "below 1"), ("--event-dropout", "-0.2", "below 1"),
                                             ("--slow-fraction-scale", "-1", "at least 0"),
                                             ("--read-disturb-scale", "-0.5", "at least 0")])
def test_study_settings_outside_their_ranges_are_refused(flag, value, says):
    with pytest.raises(SystemExit) as e:
        board_training.main(["--calibration", "no-such-file.json", "--task", "spoken_digits", flag, value])
    assert flag in str(e.value) and says in str(e.value)
