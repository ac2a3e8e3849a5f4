"""Does chapter 06's fp16 bit explorer redraw what its toggles say?"""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from course_utils import widgets  # noqa: E402


def _toggles(box):
    toggles, readout, out = box.children
    return toggles.children, readout


def test_explorer_starts_at_one():
    """Does the default pattern 0x3C00 show 1.0 among its neighbours?"""
    before = set(plt.get_fignums())
    box = widgets.fp16_bit_explorer()
    toggles, readout = _toggles(box)
    assert len(toggles) == 16
    assert [t.value for t in toggles] == [False] + [False] + [True] * 4 \
        + [False] * 10
    assert "<b>1.0</b>" in readout.value and "0x3C00" in readout.value
    assert box.drawn["value"] == 1.0
    assert 1.0 - 2.0 ** -11 in box.drawn["neighbours"]
    assert 1.0 + 2.0 ** -10 in box.drawn["neighbours"]
    assert set(plt.get_fignums()) == before  # nothing left open
    box.close()


def test_toggling_bits_redraws_value_and_number_line():
    """Do sign, exponent and fraction toggles change the readout and the
    plotted points to the new number and its neighbours?"""
    box = widgets.fp16_bit_explorer()
    toggles, readout = _toggles(box)
    toggles[0].value = True                      # sign: -1.0
    assert "<b>-1.0</b>" in readout.value
    assert box.drawn["value"] == -1.0
    assert all(x < 0 for x in box.drawn["neighbours"])
    toggles[0].value = False
    toggles[15].value = True                     # last fraction bit
    assert box.current_bits() == 0x3C01
    assert box.drawn["value"] == 1.0 + 2.0 ** -10
    assert "fraction field 1" in readout.value
    toggles[5].value = False                     # exponent 15 -> 14
    assert box.drawn["value"] == 0.5 + 2.0 ** -11
    assert "exponent field 14" in readout.value
    for t in toggles:                            # 0x0001: a subnormal
        t.value = False
    toggles[15].value = True
    assert box.drawn["value"] == 2.0 ** -24
    assert "subnormal" in readout.value
    assert box.drawn["neighbours"][0] == 0.0
    box.close()


def test_reserved_exponent_reads_inf_and_nan():
    """Does exponent field 31 read as inf (fraction 0) or NaN?"""
    box = widgets.fp16_bit_explorer(bits=0x7C00)
    toggles, readout = _toggles(box)
    assert "+inf" in readout.value and box.drawn == {}
    toggles[15].value = True
    assert "NaN" in readout.value
    box.close()
    assert np.isnan(np.array(0x7C01, np.uint16).view(np.float16))
