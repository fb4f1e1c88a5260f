"""The readout refit refuses settings outside their ranges before it loads anything."""
import pytest

from tools import board_readout


@pytest.mark.parametrize("flag,value", [("--holdout", "0.5"), ("--holdout", "-0.1"), ("--l2", "-1"), ("--steps", "0")])
def test_settings_outside_their_ranges_are_refused(flag, value):
    with pytest.raises(SystemExit) as e:
        board_readout.main(["--model", "no-such-file.safetensors", "--recorded", "none", "--out", "none", flag, value])
    assert "--holdout 0 to 0.5" in str(e.value)
