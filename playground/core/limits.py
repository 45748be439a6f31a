"""Every limit the core enforces, each named once with why it has the value it has.

A limit protects the learner's machine (memory, time) or the app (files it opens), never the
learner's freedom to experiment: each is far above what a lesson or the reference notebook
needs. Modules import their limits from here, so a number is changed in one place.
"""

from __future__ import annotations

# ----- the Tensor Lab's language (one typed line) ------------------------------------------------
# Elements one tensor may hold: 40 MB of float32, far above any lesson, far below a laptop's RAM.
MAX_ELEMENTS = 10_000_000
# Named tensors, grads, graphs and temporaries together may hold this many times MAX_ELEMENTS:
# thirty 9-million-element tensors would otherwise take a gigabyte, one at a time.
TOTAL_ELEMENTS_FACTOR = 5
# Characters in one input: a long paste is a mistake, not a program.
MAX_SOURCE_CHARS = 10_000
# Nesting of one expression: Python's own recursion would fail long before a learner needs more.
MAX_DEPTH = 50
# Bits of a Python int literal or result (about 3000 digits): beyond this it is refused, not computed.
MAX_INT_BITS = 10_000
# Multiply-adds a matmul may do per allowed element, so a 1000x1000 matmul runs but 1e4 x 1e4 not.
MATMUL_WORK_FACTOR = 100
# Statements in one line (a; b; c) or one with-block, in all: a line is read at a glance.
MAX_STATEMENTS = 100
# Dimensions of a tensor: numpy (and so the value tables) cannot show more.
MAX_DIMS = 64
# Work allowed for one line, in element-operations (each element read or written once counts
# one; a matmul's multiply-adds count 1/MACS_PER_UNIT each, as BLAS does about that many in the
# time of one elementwise step). Measured: b * 2 on 9M elements (27M units) took 19 ms and a
# 1000x1000 matmul (1G multiply-adds, 28M units) 24 ms, so 400M units is about half a second.
WORK_BUDGET = 400_000_000
MACS_PER_UNIT = 40
# All statements of a session being opened, together: twenty lines' worth, a few seconds at most.
LOAD_WORK_BUDGET = 20 * WORK_BUDGET
# Outputs up to this many elements skip the full memory count before they are made (the count
# still runs after every statement), so small steps stay cheap.
SMALL_OUTPUT = 16_384

# ----- what the Tensor Lab keeps and draws ----------------------------------------------------
# A grad history record keeps a full copy of .grad up to this many elements; above it only the
# shape and mean, so clicking Backward on a 10-million-element leaf does not grow memory by 40 MB.
HISTORY_FULL_ELEMENTS = 10_000
# A stepped backward copies gradients up to this many elements whole; above, a summary.
STEP_COPY_LIMIT = 10_000
# Function nodes the graph draws: above this the walk stops and one summary node says how many
# were left out (a readable picture has far fewer; the layout stays fast).
MAX_FUNCTIONS = 500
# Counting what was left out stops here ("more than ..."), so a huge graph is not walked twice.
COUNT_LIMIT = 100_000

# ----- training --------------------------------------------------------------------------------
# Points of the noisy line: a scatter plot stops being readable long before this.
MAX_NOISY_POINTS = 1000
# Earlier runs kept beside the current one: more overlaid loss curves cannot be told apart.
MAX_EARLIER_RUNS = 5
# An epoch diverges when its loss exceeds this factor times max(first loss, 1).
DIVERGENCE_FACTOR = 1e6
# Epochs a lesson may ask for: a lesson step is watched, not left running for hours.
MAX_LESSON_EPOCHS = 100_000

# ----- files opened -----------------------------------------------------------------------------
# A statement-log session: 200 full-length statements; the bundled ones are under 2 kB.
MAX_SESSION_BYTES = 2_000_000
# Statements in one session: replaying more would take longer than reading them.
MAX_SESSION_STATEMENTS = 5_000
# Nesting of any JSON document opened: the formats are at most a few levels deep, and a deeper
# document would only exhaust Python's recursion.
MAX_JSON_DEPTH = 20
# A whole-session file: runs make it bigger than a statement log; 50 MB holds about 350,000
# epochs of records.
MAX_FILE_BYTES = 50_000_000
# Records per training run in a session file, for the same reason.
MAX_RECORDS = 400_000
# The lesson step a session file may point at: lessons have a few dozen steps.
MAX_STEP = 10_000
# A lesson file: the shipped lessons are a few kB each.
MAX_LESSON_BYTES = 200_000

# ----- the Training Lab's controls --------------------------------------------------------------
# The range each control accepts. The widgets take their ranges from here and every file (a
# session, a lesson) is checked against them before anything is applied, so a box never shows a
# clamped number while the model trains from another, and Qt never raises on a value it cannot hold.
SEED_RANGE = (0, 2**31 - 1)  # QSpinBox holds a C int
EPOCHS_RANGE = (1, 1_000_000)  # a million epochs run for minutes even at full speed
BATCH_RANGE = (0, 100_000)  # 0 (null in a file) is the full batch
PARAM_RANGE = (-100.0, 100.0)  # initial w and b: the notebook's line starts at 1
LR_RANGE = (1e-5, 1.0)  # the slider's five powers of ten; above 1 every dataset here diverges
NOISE_RANGE = (0.0, 20.0)  # the noisy line's sigma; more hides the line y = 2x + 1 entirely
SPEED_RANGE = (1.0, 1000.0)  # epochs per second when paced (None: full speed)
# Points placed by hand (and the points of a saved dataset): the loss surface is evaluated on
# 60 x 60 x points, so 1,000 keep it at 3.6M values; a scatter of more cannot be clicked anyway.
MAX_CUSTOM_POINTS = 1000

# ----- parsed documents -------------------------------------------------------------------------
# Lists and objects in one JSON document, counted from the bytes before it is parsed (so a 49 MB
# file of empty lists is refused in a fraction of a second, not after building 16M lists). A
# session at MAX_FILE_BYTES holds about 400,000 records of real numbers.
MAX_JSON_CONTAINERS = 1_000_000
# Lists and objects directly inside one list or object: only a run's records come near it.
MAX_JSON_CHILDREN = MAX_RECORDS
# Runs a saved race may hold: one per optimiser offered, and a few to spare.
MAX_RACERS = 10
# Configs a branched run keeps from its ancestors: one per branch, a handful in practice.
MAX_SEGMENTS = 1000

# ----- what the process holds, and what work really costs ---------------------------------------
# Every statement costs this many work units before it does anything: the interpreter's own
# walk takes about 0.2 ms a statement (5,000 of `a = torch.ones(1)` replayed in 0.95 s), which
# 500,000 tiny statements turn into a minute and a half.
STATEMENT_WORK = 200_000
# Backward is charged per node it runs: the engine's own cost (about 2 us), plus the gradient
# elements read and written, plus twice the forward multiply-adds of each matrix product whose
# operands need a gradient (one product for each operand's gradient).
BACKWARD_NODE_WORK = 2_000
# Nodes of one graph walked to price a backward: beyond this it is refused, not priced.
MAX_BACKWARD_NODES = 200_000
# Formatting one tensor element into text takes 5 to 25 us: each one shown costs this much.
PRINT_WORK = 10_000
# Elements one printed value shows: torch's own summary threshold, so a 1,000-element tensor
# prints as in plain Python; above it, fewer edge items, then a one-line summary.
PRINT_ELEMENTS = 1_000
# Characters one printed value or repr shows, and a line's whole output: a label holding more
# is not read, and laying it out freezes the window.
MAX_PRINT_CHARS = 5_000
MAX_OUTPUT_CHARS = 20_000
# Characters of print() output the workspace keeps for the exported script's expected output.
MAX_PRINTED_CHARS = 1_000_000
# Grad history: a copy of .grad (up to HISTORY_FULL_ELEMENTS) costs its bytes. Per tensor and in
# all, the oldest copies are dropped (their shape and mean stay) beyond these many bytes, and the
# oldest records thinned (every other one dropped) beyond these many records. 50 float64 leaves
# with 500 backward lines each would otherwise keep 2 GB of copies.
HISTORY_BYTES_PER_TENSOR = 8_000_000
HISTORY_BYTES = 64_000_000
HISTORY_RECORDS_PER_TENSOR = 2_000
HISTORY_RECORDS = 50_000
# Step backward's recording: whole copies of gradients up to this many bytes in all; after that
# each gradient keeps its shape, mean and first values (a few hundred bytes a step).
RECORDING_BYTES = 64_000_000
# After a line that did this much work, give freed memory back to the system (malloc_trim).
TRIM_AFTER_WORK = 1_000_000
