"""Classify the beats of an ECG lead as its samples arrive: a bedside monitor's stream.

:class:`StreamClassifier` takes chunks of any length (one sample, a second, an hour) and returns
each beat's class and probabilities once the beat and its rhythm context are complete. The chunk
sizes never change the result: a stream fed sample by sample gives the same beats, classes and
probabilities as the same stream fed in one piece.

How it stays independent of the chunks
    Everything the stream decides is computed on stretches of signal fixed by absolute sample
    positions, never by where a chunk ended. Every ``HOP_SECONDS`` (0.5 s) of signal, the
    detector of :func:`ecgbeat.qrs.pan_tompkins` (with its quality check and hold-back) runs on
    the last ``CONTEXT_SECONDS`` (10 s), and the R peaks it finds in the half-second that ended
    ``DECISION_SECONDS`` (1.5 s) before the hop are final: by then the detector has seen what
    could still change them (its search-back, the T-wave and neighbour rules). A beat is
    classified at the first hop after its next R peak is final and its last sample has come.

What differs from classifying the whole recording at once
    :func:`ecgbeat.records.classify_signal` reads the recording's future: the detector's
    thresholds and hold-back, the 10 s window that scales a beat, the recording's mean R-R
    interval and its median beat. A stream cannot wait for them, so it uses what has come:
    the detector on the last 10 s, each beat scaled over the 10 s that end 1.7 s after its R
    peak (:data:`TAIL_SECONDS`, past the 1.5 s of a 187-sample beat), the mean and spread of
    the R-R intervals so far, and the median of the last :data:`TEMPLATE_BEATS` beats. The
    same beats and classes as a whole-record stream, for any chunks, hold exactly; against
    :func:`ecgbeat.records.classify_signal` the agreement is measured
    (``python -m benchmarks.streaming``, docs/benchmarks.md).

Latency
    A beat's class comes 1.5-2 s after its next R peak (the detector's decision time and the
    hop), plus the computing time of one hop, measured in ``benchmarks.streaming``.

Examples
--------
>>> import numpy as np
>>> from ecgbeat.streaming import StreamClassifier
>>> fs = 250
>>> t = np.arange(30 * fs) / fs
>>> ecg = sum(np.exp(-(((t - c) / 0.012) ** 2)) for c in np.arange(0.4, 30, 0.8))
>>> stream = StreamClassifier(fs, "mitbih")
>>> tables = [stream.update(chunk) for chunk in np.array_split(ecg, 7)]
>>> tables.append(stream.finish())
>>> sum(len(table) for table in tables), str(tables[-1].label[-1])
(36, 'N')
"""

from __future__ import annotations

import dataclasses
import numbers
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ecgbeat._checks import check_flag
from ecgbeat.beats import rate_ratio, segment_beats
from ecgbeat.exceptions import SignalError
from ecgbeat.low_latency import LowLatencyPredictor  # ONNX Runtime is imported when one is made
from ecgbeat.qrs import pan_tompkins_marked, refine_r_peaks
from ecgbeat.records import (
    DEFAULT_MODEL,
    BeatTable,
    beat_cutting,
    classified_table,
    fitted_classifier,
    resolve_class_names,
    resolve_normal_class,
)
from ecgbeat.rhythm import rr_features, rr_zscores
from ecgbeat.signals import MIN_FS, check_signal
from ecgbeat.template import COMPARED_SECONDS, compare_with_template

if TYPE_CHECKING:  # pragma: no cover
    from ecgbeat.classifier import HeartbeatCNNClassifier

__all__ = ["StreamClassifier"]

#: Signal between two runs of the detector, in seconds.
HOP_SECONDS = 0.5
#: Signal the detector reads at each run, in seconds (its quality check reads 10 s windows).
CONTEXT_SECONDS = 10.0
#: Age of an R peak, in seconds, at which the detector's decision on it is final.
DECISION_SECONDS = 1.5
#: Signal after an R peak that its beat's cut waits for, in seconds: a 187-sample beat at
#: 125 Hz lasts 1.5 s, and the resampler's filter reaches a few samples further.
TAIL_SECONDS = 1.7
#: Beats whose sample-wise median is the template of the template features.
TEMPLATE_BEATS = 256
# Two peaks closer than this are one beat (the detector's refractory period).
_REFRACTORY_SECONDS = 0.2
# Signal before a beat's start that its cut includes, for the resampler's filter.
_MARGIN_SECONDS = 0.2
# Sampling frequency of the beats that the classifiers read (segment_beats' target_fs).
_BEAT_FS = 125.0
# Samples of each beat (segment_beats' beat_length).
_BEAT_SAMPLES = 187
# R-R intervals before a beat that its rr_local reads (rr_features' default local_beats).
_LOCAL_BEATS = 10


@dataclasses.dataclass
class _Peak:
    """A final R peak of the stream: where, whether readable, the count, sum and sum of squares
    of the R-R intervals up to it (in samples), and its beat once cut."""

    sample: int
    readable: bool
    rr_sums: tuple[int, float, float]
    beat: np.ndarray | None = None


class StreamClassifier:
    """Classify an ECG lead's beats as its samples arrive, whatever the chunk sizes.

    Feed samples with :meth:`update`, which returns the beats completed so far; at the end,
    :meth:`finish` returns the rest. See the module docstring for how the stream decides and
    how it differs from :func:`ecgbeat.records.classify_signal`.

    Parameters
    ----------
    fs : float
        Sampling frequency of the samples, in Hz (40 Hz or more; beats are resampled to
        125 Hz as the classifier's training beats were).
    classifier : HeartbeatCNNClassifier or str, default=DEFAULT_MODEL
        A fitted classifier, or the name of a pretrained model. Its beats are cut as its
        model card says, with the R-R and template features it reads.
    name : str, default="stream"
        The tables' record name.
    lead : str, default=""
        The lead's name, recorded in the tables.
    class_names, normal_class
        As in :func:`ecgbeat.records.classify_record`.
    quality : bool, default=True
        Mark each beat readable or not (:mod:`ecgbeat.quality`, on the detector's 10 s). The
        detector holds back noise either way, as :func:`ecgbeat.qrs.pan_tompkins` does.
    low_latency : bool, default=False
        Run the network in ONNX Runtime (:class:`ecgbeat.low_latency.LowLatencyPredictor`,
        ``pip install ecgbeat[onnx]``): about 0.2 ms a beat instead of about 1 ms a call,
        in float32 whatever the classifier's ``inference_precision``.

    Attributes
    ----------
    n_samples_seen : int
        Samples received so far.
    classifier : HeartbeatCNNClassifier
        The fitted classifier.

    Raises
    ------
    ValueError
        If ``fs`` is not a number of Hz of at least ``ecgbeat.signals.MIN_FS`` (40), or the
        classifier's columns are none that a recording gives (its beats not of 187 samples, or
        feature columns other than a recording's), or ``quality`` or ``low_latency`` is not
        True or False.
    sklearn.exceptions.NotFittedError
        If the classifier is not fitted.
    TypeError
        With ``low_latency``, if the classifier has no Keras network to export (another kind
        of estimator than HeartbeatCNNClassifier); if ``classifier`` is a
        :class:`ecgbeat.low_latency.LowLatencyPredictor` (pass its classifier with
        ``low_latency=True``).

    Notes
    -----
    A stream is not safe to feed from several threads at once; ``copy.copy(stream)`` gives
    one that goes on from the same point on its own, sharing the classifier. Memory stays bounded, pauses and
    a lead off included: the stream keeps about the last ``CONTEXT_SECONDS`` of signal (plus
    up to a hop, the latest chunk and two periods of the 125 Hz resampler: 0.4 s at 360 Hz),
    the last :data:`TEMPLATE_BEATS` beats and a few dozen R peaks.

    Examples
    --------
    >>> import numpy as np
    >>> fs = 360
    >>> t = np.arange(20 * fs) / fs
    >>> ecg = sum(np.exp(-(((t - c) / 0.01) ** 2)) for c in np.arange(0.5, 20, 1.0))
    >>> stream = StreamClassifier(fs, "mitbih")
    >>> first = stream.update(ecg[: 5 * fs])
    >>> len(first), first.sample.tolist()
    (2, [180, 540])
    >>> rest = [stream.update(ecg[5 * fs :]), stream.finish()]
    >>> len(first) + sum(len(table) for table in rest)
    19
    """

    def __init__(
        self,
        fs: float,
        classifier: HeartbeatCNNClassifier | str = DEFAULT_MODEL,
        *,
        name: str = "stream",
        lead: str = "",
        class_names: Sequence[str] | None = None,
        normal_class: str | None = None,
        quality: bool = True,
        low_latency: bool = False,
    ) -> None:
        if not (isinstance(fs, numbers.Real) and np.isfinite(fs) and fs >= MIN_FS):
            raise ValueError(
                f"fs must be a sampling frequency of at least {MIN_FS:g} Hz, got {fs!r}"
            )
        self.fs = float(fs)
        self.classifier = fitted_classifier(classifier)
        if isinstance(self.classifier, LowLatencyPredictor):
            # It failed in check_is_fitted with "<ecgbeat.low_latency.LowLatencyPredictor
            # object at 0x...> is not an estimator instance", which said neither why nor what to do.
            raise TypeError(
                "classifier must be the fitted classifier, not its LowLatencyPredictor, which "
                "keeps neither its model card nor its parameters (how to cut the beats): pass "
                "the classifier with low_latency=True to run its network in ONNX Runtime"
            )
        check_is_fitted(self.classifier)
        self.name = str(name)
        self.lead = str(lead)
        self.quality = check_flag(quality, "quality")
        # Text is truthy: low_latency="no" ran the network in ONNX Runtime (or asked for it to
        # be installed) without a word, as quality="no" marked the beats.
        low_latency = check_flag(low_latency, "low_latency")
        cut = beat_cutting(self.classifier)
        n_columns = _BEAT_SAMPLES + int(self.classifier.get_params().get("n_rr_features", 0))
        n_read = getattr(self.classifier, "n_features_in_", n_columns)
        if n_read != n_columns:
            # Found here: at the first beat, the classifier's own error would come in the middle
            # of an update, which would lose the beats of that call.
            raise ValueError(
                f"the classifier reads rows of {n_read} columns, but a stream gives "
                f"{n_columns}: beats of {_BEAT_SAMPLES} samples at {_BEAT_FS:g} Hz, as "
                "ecgbeat.beats.segment_beats cuts them, and the classifier's n_rr_features "
                "feature columns"
            )
        self._rhythm, self._template = cut.pop("rhythm"), cut.pop("template")
        self._zscores = cut.pop("zscores")
        self._refine_radius = cut.pop("refine_radius")
        self._before_r = float(cut.pop("before_r"))
        self._class_names = resolve_class_names(self.classifier, class_names)
        self._normal_class = resolve_normal_class(self.classifier, self._class_names, normal_class)
        if low_latency:
            self._predictor = LowLatencyPredictor(self.classifier)
        else:
            self._predictor = self.classifier
        # The probabilities' dtype, given to every table: classified_table's empty probabilities
        # are float64, and joined with a network's float32 ones (ONNX Runtime's, or any
        # classifier's that returns float32) they made an update's dtype depend on how its
        # hops fell. float32 probabilities are float64 ones exactly, so no value changes.
        self._proba_dtype = np.float32 if low_latency else np.float64
        seconds = self._samples
        self._hop, self._context = seconds(HOP_SECONDS), seconds(CONTEXT_SECONDS)
        self._decision, self._tail = seconds(DECISION_SECONDS), seconds(TAIL_SECONDS)
        self._refractory = seconds(_REFRACTORY_SECONDS)
        self._margin = seconds(_MARGIN_SECONDS)
        self._before = seconds(self._before_r)
        # The resampler maps each ``denominator`` samples onto ``numerator`` beat samples: a
        # span that starts at a multiple of twice that is resampled on the whole recording's
        # 125 Hz grid, and its R peaks round to the same grid samples (an even shift keeps
        # rint's ties to even). From another start, a beat is sampled up to 4 ms off that grid,
        # which changes its QRS's samples (and some classes) against classify_signal.
        self._grid = 2 * rate_ratio(self.fs, _BEAT_FS).denominator
        # The signal kept, from absolute sample index ``_start``.
        self._signal = np.zeros(0)
        self._start = 0
        self.n_samples_seen = 0
        self._next_hop = self._hop
        self._final_before = 0  # peaks before this sample index are decided
        self._pending: deque[_Peak] = deque()  # final R peaks not yet classified
        # Each hop's cut rows and (sample, readable) pairs, until classified; then their
        # tables, until returned (see _classified).
        self._ready: deque[tuple[list, list]] = deque()
        self._classified_tables: list[BeatTable] = []
        self._rr_count, self._rr_sum, self._rr_squares = 0, 0.0, 0.0
        self._last_peak: int | None = None
        # The latest final peaks: enough for a beat's cut (10 s at 300 beats a minute) and for
        # its R-R features (the intervals before it).
        self._recent: deque[int] = deque(maxlen=round(CONTEXT_SECONDS * 5) + 2)
        # The compared start of the last TEMPLATE_BEATS beats, oldest overwritten first (their
        # median does not depend on their order), and how many beats have come; kept only for
        # a classifier that reads the template columns.
        ring = (TEMPLATE_BEATS, round(COMPARED_SECONDS * _BEAT_FS)) if self._template else (0, 0)
        self._template_beats = np.zeros(ring)
        self._n_template_beats = 0
        self._finished = False  # no more samples
        self._ended = False  # finish() has cut the last beats

    def __copy__(self) -> StreamClassifier:
        """A stream that goes on from this point on its own: ``copy.copy(stream)`` shares the
        classifier, and copies what later samples change (the pending R peaks, the recent ones,
        the template's beats), which a shallow copy shared: feeding one fed the other's state.
        """
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin._pending = deque(dataclasses.replace(peak) for peak in self._pending)
        twin._ready = self._ready.copy()
        twin._classified_tables = list(self._classified_tables)
        twin._recent = self._recent.copy()
        twin._template_beats = self._template_beats.copy()
        return twin

    def _samples(self, seconds: float) -> int:
        return max(1, round(seconds * self.fs))

    def update(self, chunk) -> BeatTable:
        """Add samples; the beats that they complete.

        Parameters
        ----------
        chunk : array-like of shape (n_samples,)
            The next samples of the lead, in any unit; any length, none included.

        Returns
        -------
        BeatTable
            The beats completed by these samples, in order (often none), with their classes,
            probabilities and, with ``quality``, readable marks; ``sample`` counts from the
            stream's first sample. Beats that an earlier call could not classify come first.

        Raises
        ------
        ValueError
            If the chunk is not one-dimensional or holds NaN or infinite values.
        RuntimeError
            If :meth:`finish` was called.
        Exception
            Whatever the classifier raises (an interruption, a lack of memory). The chunk's
            samples are kept (do not send them again), and so are the beats being classified:
            the next call returns them.
        """
        self._check_open()
        chunk = self._checked(chunk)
        self._signal = np.concatenate([self._signal, chunk])
        self.n_samples_seen += chunk.size
        while self._next_hop <= self.n_samples_seen:
            end = self._next_hop
            self._decide(end, end - self._decision)
            self._ready.append(self._emit(end))
            self._next_hop += self._hop
        self._forget()
        return self._classified()

    def finish(self) -> BeatTable:
        """End the stream; the beats still held back, but for the last one.

        The detector decides on the R peaks of the last seconds, and every beat with an R peak
        after it is classified, its cut ending at the last sample as
        :func:`ecgbeat.beats.segment_beats` ends a recording's. The last R peak has no interval
        after it and no beat, as at the end of a recording; a stream shorter than one beat's
        cut (1.5 s) has no beats.

        Returns
        -------
        BeatTable
            The remaining beats, in order.

        Raises
        ------
        RuntimeError
            If the stream is already finished.
        Exception
            Whatever the classifier raises (an interruption, a lack of memory), or the cut of
            the last beats; calling :meth:`finish` again returns the beats.
        """
        if not self._ended:
            self._finished = True  # from the first call on, even if this one fails
            end = self.n_samples_seen
            self._decide(end, end + 1)
            try:
                self._ready.append(self._emit(end, last=True))
            except SignalError:  # a stream shorter than one beat's cut (1.5 s) has no beats
                pass
            # Only now: an error above (a lack of memory, an interruption) left the last beats
            # uncut, and the next call said "the stream is finished" and lost them.
            self._ended = True
            self._signal = np.zeros(0)
        elif not (self._ready or self._classified_tables):
            self._check_open()
        return self._classified()

    def _classified(self) -> BeatTable:
        """Classify the ready beats, hop by hop; the tables of every beat not yet returned.

        Each hop's beats are classified together: the network sees the same batches whatever
        the chunks, so the probabilities are the same to the last bit. A hop leaves the queue
        only once classified, and its table only once returned: if the classifier raises (an
        interruption, memory), nothing is lost, and the next call returns these beats first.
        """
        while self._ready:
            self._classified_tables.append(self._table(*self._ready[0]))
            self._ready.popleft()
        tables, self._classified_tables = self._classified_tables, []
        return self._joined(tables)

    def _check_open(self) -> None:
        if self._finished:
            if not self._ended:
                raise RuntimeError(
                    "the stream is finished, but finish() failed before its last beats were "
                    "cut: call finish() again for them"
                )
            if self._ready or self._classified_tables:
                raise RuntimeError(
                    "the stream is finished, but the classifier failed on its last beats: "
                    "call finish() again for them"
                )
            raise RuntimeError(
                "the stream is finished: make a new StreamClassifier for another recording"
            )

    def _checked(self, chunk) -> np.ndarray:
        # A SignalError: a ValueError naming the stream and the sample, counted from its start.
        return check_signal(chunk, self.fs, name=self.name, first_index=self.n_samples_seen)[0]

    def _span(self, start: int, end: int) -> np.ndarray:
        """The signal from absolute sample ``start`` (clipped at 0) to ``end``."""
        start = max(start, 0)
        return self._signal[start - self._start : end - self._start]

    def _decide(self, end: int, final_until: int) -> None:
        """Run the detector on the context before ``end``; the peaks in
        ``[_final_before, final_until)`` become final."""
        start = max(end - self._context, 0)
        span = self._span(start, end)
        if span.size < round(0.5 * self.fs) or final_until <= self._final_before:
            self._final_before = max(self._final_before, final_until)
            return
        # The samples were checked as they came (update); the detector checks them once more.
        peaks, marks = pan_tompkins_marked(span, self.fs)
        if self._refine_radius is not None and peaks.size:
            peaks = refine_r_peaks(span, self.fs, peaks, radius=self._refine_radius)
        readable = marks.readable_at(peaks)
        for peak, ok in zip((peaks + start).tolist(), readable.tolist(), strict=True):
            if not self._final_before <= peak < final_until:
                continue
            if self._last_peak is not None:
                # The same QRS found again after a shift (a peak refined across the border)
                # is one beat.
                if peak - self._last_peak < self._refractory:
                    continue
                interval = peak - self._last_peak
                self._rr_count += 1
                self._rr_sum += interval
                self._rr_squares += interval * interval
            rr_sums = (self._rr_count, self._rr_sum, self._rr_squares)
            self._pending.append(_Peak(peak, bool(ok), rr_sums))
            self._recent.append(peak)
            self._last_peak = peak
        self._final_before = final_until

    def _emit(self, end: int, *, last: bool = False) -> tuple[list, list]:
        """Cut the pending beats whose cut is decided by ``end``; the rows and (sample, readable)
        of those whose next R peak is final too (with ``last``, of all of them but the last)."""
        pending = list(self._pending)
        for k, entry in enumerate(pending):
            if entry.beat is not None:
                continue
            stop = entry.sample + self._tail
            following = pending[k + 1].sample if k + 1 < len(pending) else None
            if last:
                if following is None:
                    # The last R peak has no beat, so no cut: on the last sample (an artifact
                    # rising as the stream ends) it has none, and the error lost every beat.
                    break
                stop = min(stop, end)
            elif stop > end or (following is None and self._final_before < stop):
                break  # its signal has not all come, or a peak inside it may still be found
            entry.beat = self._cut(entry.sample, following, stop)
        # Every row is made before a beat leaves the queue or the template's beats change: an
        # error on the way (a lack of memory in the template's median, an interruption) lost
        # the beats already taken out, and kept theirs among the template's. The next call
        # then makes them all again.
        pending = self._pending
        ring, count = self._template_beats, self._n_template_beats
        if self._template and len(pending) >= 2 and pending[0].beat is not None:
            ring = ring.copy()
        rows, out = [], []
        while len(rows) + 1 < len(pending) and pending[len(rows)].beat is not None:
            entry, following = pending[len(rows)], pending[len(rows) + 1]
            row, count = self._row(
                entry.sample, following.sample, entry.beat, following.rr_sums, ring, count
            )
            rows.append(row)
            out.append((entry.sample, entry.readable))
        for _ in rows:
            pending.popleft()
        self._template_beats, self._n_template_beats = ring, count
        return rows, out

    def _cut(self, peak: int, following: int | None, stop: int) -> np.ndarray:
        """The beat at ``peak``, cut from the ``CONTEXT_SECONDS`` that end at ``stop``, its
        tail's end (1.7 s after it), with the final R peaks before it in that span."""
        start = max(min(stop - self._context, peak - self._before - self._margin), 0)
        # On the resampler's grid (see __init__), as the whole recording's beats are.
        start -= start % self._grid
        span = self._span(start, stop)
        known = [p for p in self._recent if start <= p < peak] + [peak]
        # segment_beats leaves the last R peak out: the next one, or the span's end if it
        # comes later (a pause: the beat then takes its full length).
        known.append(following if following is not None and following < stop else stop - 1)
        window = span.size / self.fs + 1.0  # one scaling window over the whole span
        segments = segment_beats(
            span,
            self.fs,
            np.asarray(known) - start,
            window_seconds=window,
            before_r=self._before_r,
            name=self.name,
        )
        return segments.beats[len(known) - 2]

    def _row(
        self,
        peak: int,
        following: int,
        beat: np.ndarray,
        rr_sums: tuple,
        ring: np.ndarray,
        count: int,
    ) -> tuple[np.ndarray, int]:
        """The classifier's row for one beat, and the template's beat count after it.

        ``rr_sums``: the count, sum and sum of squares of the R-R intervals up to its next R
        peak, in samples. ``ring`` and ``count``: the template's latest beats and how many have
        come; with the template columns, the beat goes into ``ring``.
        """
        columns = [beat]
        n_rr, total, squares = rr_sums
        mean = total / n_rr
        if self._rhythm:
            before = [p for p in self._recent if p < peak][-(_LOCAL_BEATS + 1) :]
            peaks = np.asarray([*before, peak, following])
            rr = rr_features(peaks, self.fs, average=mean / self.fs)[len(peaks) - 2]
            columns.append(rr)
        if self._template:
            ring[count % TEMPLATE_BEATS] = beat[: ring.shape[1]]
            count += 1
            template = np.median(ring[:count], axis=0)
            columns.append(compare_with_template(beat[None], template, fs=_BEAT_FS)[0])
        if self._zscores:
            std = np.sqrt(max(squares / n_rr - mean * mean, 0.0)) / self.fs
            columns.append(rr_zscores(rr[None], std=std)[0])
        return np.concatenate(columns).astype(np.float32), count

    def _forget(self) -> None:
        """Drop the signal that no decision or cut will read again."""
        keep = self._next_hop - self._hop - self._context  # what finish() may read
        uncut = [p.sample for p in self._pending if p.beat is None]
        if uncut:  # and what the first beat still to cut reads (see _cut)
            peak = uncut[0]
            keep = min(keep, peak + self._tail - self._context, peak - self._before - self._margin)
        keep -= keep % self._grid  # as _cut moves a span's start
        drop = min(max(keep, 0) - self._start, self._signal.size)
        if drop > 0:
            self._signal = self._signal[drop:]
            self._start += drop

    def _joined(self, tables: list[BeatTable]) -> BeatTable:
        if len(tables) == 1:
            return tables[0]
        if not tables:
            return self._table([], [])
        first = tables[0]
        return BeatTable(
            record=first.record,
            sample=np.concatenate([t.sample for t in tables]),
            fs=first.fs,
            label=np.concatenate([t.label for t in tables]),
            proba=np.concatenate([t.proba for t in tables]),
            class_names=first.class_names,
            lead=first.lead,
            normal_class=first.normal_class,
            readable=np.concatenate([t.readable for t in tables]) if self.quality else None,
        )

    def _table(self, rows: list, out: list) -> BeatTable:
        table = classified_table(
            np.asarray(rows, dtype=np.float32),
            self._predictor,
            self._class_names,
            self._normal_class,
            record=self.name,
            sample=np.asarray([peak for peak, _ in out], dtype=np.int64),
            fs=self.fs,
            lead=self.lead,
        )
        table.proba = np.asarray(table.proba).astype(self._proba_dtype, copy=False)
        if self.quality:
            table.readable = np.asarray([ok for _, ok in out], dtype=bool)
        return table
