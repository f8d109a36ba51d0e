# shellcheck shell=bash
# The body of every cwola sbatch template (sourced, not run). It launches one
# `cwola run` over the allocation, forwards SLURM's early-warning signal to it, and
# acts on cwola's exit code:
#   0 done, 4 done with failed tasks   -> finish (the job ends with that code)
#   3 stopped by a signal (time limit) -> requeue the job; the next start resumes
#   2 input rejected, 1 unexpected     -> stop (requeueing would fail the same way)
# A run killed by a signal before cwola could catch it (the warning arrived while the
# program was still starting) is requeued too: the store is consistent at every
# point, so a restart with --resume (or a fresh start if no store exists yet) is safe.
#
# The template sets CWOLA_DEVICE (cpu or cuda) before sourcing this file; the cluster's
# env script (slurm/env/<kind>.sh, the only place site paths live) sets CWOLA_BIN,
# CWOLA_LAUNCH and anything else site-specific.

cwola_log() { echo "cwola-slurm[$(date +%H:%M:%S)]: $*"; }

# Ranks on this node: SLURM_NTASKS_PER_NODE, or the first count of
# SLURM_TASKS_PER_NODE ("4(x2),3" -> 4).
cwola_ranks_per_node() {
  if [ -n "${SLURM_NTASKS_PER_NODE:-}" ]; then
    echo "${SLURM_NTASKS_PER_NODE%%(*}"
  else
    local first="${SLURM_TASKS_PER_NODE:-1}"
    first="${first%%,*}"
    echo "${first%%(*}"
  fi
}

# GPUs this job sees on a node: CUDA_VISIBLE_DEVICES as SLURM sets it from --gres/--gpus.
cwola_gpus_per_node() {
  local visible="${CUDA_VISIBLE_DEVICES:-}"
  if [ -z "$visible" ] || [ "$visible" = "NoDevFiles" ]; then
    echo 0
  else
    local -a list
    IFS=',' read -r -a list <<<"$visible"
    echo "${#list[@]}"
  fi
}

# cwola_job_main JOB STORE [extra cwola run options...]
cwola_job_main() {
  if [ "$#" -lt 2 ]; then
    cwola_log "error: usage: sbatch <template> JOB.ini STORE.h5 [cwola run options]"
    exit 2
  fi
  local job="$1" store="$2"
  shift 2
  local -a extra=("$@")
  local restarts="${SLURM_RESTART_COUNT:-0}"
  local max_restarts="${CWOLA_MAX_RESTARTS:-50}"
  local device="${CWOLA_DEVICE:-cpu}"

  if [ ! -r "$job" ]; then
    cwola_log "error: job file '$job' is missing or unreadable (not requeueing)"
    exit 2
  fi
  if [ ! -x "${CWOLA_BIN:-}" ]; then
    cwola_log "error: CWOLA_BIN='${CWOLA_BIN:-}' is not an executable; set it in the env" \
      "script ${CWOLA_ENV:-} (not requeueing)"
    exit 2
  fi

  # One thread per core the job gave each rank; BLAS pools stay at one (cwola sets
  # LibTorch's own threads from --threads; see the README's performance notes).
  local threads="${CWOLA_THREADS:-${SLURM_CPUS_PER_TASK:-1}}"
  export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
  # srun (22.05+) no longer takes --cpus-per-task from the batch job; pass it on.
  export SRUN_CPUS_PER_TASK="$threads"
  # Deterministic cuBLAS: without it some GEMMs pick non-deterministic algorithms and
  # a resumed or repeated study would not reproduce bit for bit.
  export CUBLAS_WORKSPACE_CONFIG=:4096:8
  # Parallel file systems and killed jobs leave stale HDF5 locks; the store needs none
  # (one job writes it, and its layout never changes after creation).
  export HDF5_USE_FILE_LOCKING=FALSE

  local ranks_per_node
  ranks_per_node="$(cwola_ranks_per_node)"
  if [ "$device" = "cuda" ]; then
    local gpus
    gpus="$(cwola_gpus_per_node)"
    if [ "$gpus" -lt 1 ]; then
      cwola_log "error: device cuda but the job has no GPU (CUDA_VISIBLE_DEVICES is empty);" \
        "request GPUs with --gres=gpu:N or use the CPU template (not requeueing)"
      exit 2
    fi
    if [ "$ranks_per_node" -gt "$gpus" ]; then
      cwola_log "error: $ranks_per_node ranks per node but $gpus GPU(s) per node" \
        "(CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES): ranks would share GPUs; ask for" \
        "--ntasks-per-node=$gpus or more GPUs (not requeueing)"
      exit 2
    fi
  fi

  local -a resume=()
  if [ -f "$store" ]; then
    resume=(--resume)
  fi
  cwola_log "job ${SLURM_JOB_ID:-?} start $((restarts + 1)) (restart $restarts of at most" \
    "$max_restarts): ${SLURM_NNODES:-1} node(s), $ranks_per_node rank(s) per node," \
    "device $device, $threads thread(s) per rank, CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-}," \
    "CUBLAS_WORKSPACE_CONFIG=$CUBLAS_WORKSPACE_CONFIG, store $store${resume:+ (resume)}"

  local -a launch
  read -r -a launch <<<"${CWOLA_LAUNCH:-srun --mpi=pmix}"
  local signalled=0
  "${launch[@]}" "$CWOLA_BIN" run --job "$job" --output "$store" "${resume[@]}" \
    --threads "$threads" --device "$device" "${extra[@]}" &
  local pid=$!
  # SLURM sends the warning (--signal=B:USR1@...) to this shell only; cwola's ranks get
  # it through the launcher (srun and mpirun forward SIGUSR1). scancel and preemption
  # send SIGTERM: the same graceful stop.
  trap 'signalled=1; cwola_log "stop signal: asking cwola to stop"; kill -USR1 "$pid" 2>/dev/null' \
    USR1 TERM
  local code
  while :; do
    wait "$pid"
    code=$?
    # wait returns early (>128) when a trapped signal arrives; cwola is still running.
    kill -0 "$pid" 2>/dev/null || break
  done
  if [ "$code" -gt 128 ]; then
    wait "$pid" 2>/dev/null
    local real=$?
    [ "$real" -ne 127 ] && code=$real
  fi
  trap - USR1 TERM
  cwola_log "cwola exited with code $code"

  case "$code" in
    0)
      cwola_log "study complete: $store"
      exit 0
      ;;
    4)
      cwola_log "study complete, some tasks failed (see /results/failure_reason in $store)"
      exit 4
      ;;
    1)
      if [ "$signalled" -eq 1 ]; then
        # scancel and the time limit signal every process of the job, the launcher too,
        # and Open MPI's mpirun then exits 1 whatever its ranks returned (they stopped
        # gracefully on the same SIGTERM; the store is consistent). Treat it as a stop.
        cwola_log "launcher exited 1 after a stop signal (Open MPI's own code when it is" \
          "signalled itself); treating it as stopped (3)"
        code=3
      else
        cwola_log "error: cwola stopped with code 1 (see its message above); not requeueing"
        exit 1
      fi
      ;;
    2)
      cwola_log "error: cwola stopped with code 2 (see its message above); not requeueing"
      exit 2
      ;;
  esac
  if [ "$code" -ne 3 ] && [ "$signalled" -ne 1 ]; then
    cwola_log "error: cwola ended with code $code without a stop signal; not requeueing"
    exit "$code"
  fi
  if [ "$restarts" -ge "$max_restarts" ]; then
    cwola_log "error: stopped after $restarts restarts (CWOLA_MAX_RESTARTS); the store is" \
      "consistent, resubmit to continue"
    exit 3
  fi
  cwola_log "interrupted (code $code); requeueing job ${SLURM_JOB_ID:-?} to resume"
  if ! scontrol requeue "${SLURM_JOB_ID:?}"; then
    cwola_log "error: scontrol requeue failed (was the job submitted with --no-requeue?);" \
      "the store is consistent, submit the same command again to resume"
    exit 3
  fi
  # The requeue ends this run of the script; nothing after it is guaranteed to run.
  exit 3
}
