"""The checking engine behind every chapter's exercises; no exercise lives here.

What each module does:

* :mod:`.base`, :mod:`.exercise`, :mod:`.questions`: the kinds of exercise
  (what every exercise has; "write this function"; predict, experiment, picture);
* :mod:`.inputs`: the fresh random inputs (cases) a check draws;
* :mod:`.sandbox` and :mod:`.time_limit`: running the reader's code (output
  captured, rules enforced, no exit) within the time limit;
* :mod:`.guard`: keeping the reader's session state out of the expected values;
* :mod:`.compare`, :mod:`.messages`, :mod:`.mistakes`, :mod:`.verdicts`,
  :mod:`.errors`, :mod:`.arguments`: judging one answer and saying what is wrong;
* :mod:`.failure`, :mod:`.report`: what a failed check shows and keeps for replay;
* :mod:`.stub`, :mod:`.render`, :mod:`.figures`: what the notebook shows.
"""
