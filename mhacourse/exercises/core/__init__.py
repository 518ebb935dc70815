"""The checking engine behind every chapter's exercises; no exercise lives here.

What each module does:

* :mod:`.base`, :mod:`.exercise`, :mod:`.questions`: the kinds of exercise
  (what every exercise has; "write this function"; predict, experiment, picture);
* :mod:`.inputs`: the fresh random inputs (cases) a check draws;
* :mod:`.sandbox`, :mod:`.time_limit` and :mod:`.exits`: running the reader's code
  (output captured, rules enforced, no exit, no input()) within the time limit;
* :mod:`.guard` and :mod:`.session`: keeping the reader's session out of the
  expected values, refusing a tampered session, leaving it as it was found;
* :mod:`.compare`, :mod:`.messages`, :mod:`.mistakes`, :mod:`.verdicts`,
  :mod:`.errors`, :mod:`.causes`, :mod:`.arguments`: judging one answer and saying
  what is wrong (:mod:`.causes`: the likely cause of an error the answer raised);
* :mod:`.matching`: which catalogued mistake a wrong output makes;
* :mod:`.attempts`: the tries recorded per exercise, and the brake on guessing;
* :mod:`.failure`, :mod:`.report`: what a failed check shows and keeps for replay;
* :mod:`.stub`, :mod:`.render`, :mod:`.figures`: what the notebook shows.
"""
