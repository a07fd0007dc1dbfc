using System.Threading.Channels;

namespace Tvp.Server;

/// <summary>
/// The bounded queue in front of the model: requests wait here and ONE worker thread runs them, so the model is
/// never used concurrently. Waiting generation requests are taken together, up to the batch size, and run as
/// one batch. A full queue refuses at once with 429 and <c>Retry-After</c>.
/// </summary>
public sealed class InferenceQueue : IDisposable
{
    private abstract record Job;
    private sealed record GenerateJob(ChatTurn Turn, TaskCompletionSource<GeneratedAnswer> Done) : Job;
    private sealed record ScoreJob(ChatTurn Turn, IReadOnlyList<string> Candidates, TaskCompletionSource<IReadOnlyList<CandidateScore>> Done) : Job;

    private readonly IChatBackend _backend;
    private readonly Channel<Job> _jobs;
    private readonly int _maxBatch;
    private readonly ServerMetrics _metrics;
    private readonly Thread _worker;
    private int _depth;

    /// <summary>Starts the worker. <paramref name="capacity"/> requests may wait; <paramref name="maxBatch"/> generations run together.</summary>
    public InferenceQueue(IChatBackend backend, int capacity, int maxBatch, ServerMetrics metrics)
    {
        if (capacity < 1) throw new ArgumentException("--queue must be at least 1");
        if (maxBatch < 1) throw new ArgumentException("--max-batch must be at least 1");
        _backend = backend; _maxBatch = maxBatch; _metrics = metrics;
        _jobs = Channel.CreateBounded<Job>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _worker = new Thread(Work) { IsBackground = true, Name = "tvp-inference" };
        _worker.Start();
    }

    /// <summary>Queues a generation; completes with the answer.</summary>
    /// <exception cref="ApiException">429 when the queue is full.</exception>
    public Task<GeneratedAnswer> GenerateAsync(ChatTurn turn)
    {
        var done = new TaskCompletionSource<GeneratedAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new GenerateJob(turn, done));
        return done.Task;
    }

    /// <summary>Queues a scoring request; completes with one score per candidate.</summary>
    /// <exception cref="ApiException">429 when the queue is full.</exception>
    public Task<IReadOnlyList<CandidateScore>> ScoreAsync(ChatTurn turn, IReadOnlyList<string> candidates)
    {
        var done = new TaskCompletionSource<IReadOnlyList<CandidateScore>>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new ScoreJob(turn, candidates, done));
        return done.Task;
    }

    private void Enqueue(Job job)
    {
        if (!_jobs.Writer.TryWrite(job))
            throw new ApiException(429, "the server is busy: its request queue is full; retry later", "queue_full", errorType: ErrorTypes.RateLimit) { RetryAfterSeconds = 1 };
        _metrics.QueueDepth(Interlocked.Increment(ref _depth));
    }

    private bool TryTake(out Job job)
    {
        if (!_jobs.Reader.TryRead(out job!)) return false;
        _metrics.QueueDepth(Interlocked.Decrement(ref _depth));
        return true;
    }

    private void Work()
    {
        Job? held = null;
        while (true)
        {
            Job job;
            if (held is not null) { job = held; held = null; }
            else
            {
                if (!_jobs.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) return;
                if (!TryTake(out job)) continue;
            }
            if (job is ScoreJob s) { Run(s); continue; }
            var batch = new List<GenerateJob> { (GenerateJob)job };
            while (batch.Count < _maxBatch && TryTake(out var next))
            {
                if (next is GenerateJob g) batch.Add(g);
                else { held = next; break; }
            }
            Run(batch);
        }
    }

    private void Run(ScoreJob job)
    {
        try { job.Done.SetResult(_backend.Score(job.Turn, job.Candidates)); }
        catch (Exception e) { job.Done.SetException(Translate(e)); }
    }

    private void Run(List<GenerateJob> batch)
    {
        try
        {
            var answers = _backend.Generate(batch.Select(j => j.Turn).ToArray());
            for (int i = 0; i < batch.Count; i++) batch[i].Done.SetResult(answers[i]);
        }
        catch (Exception e)
        {
            foreach (var j in batch) j.Done.TrySetException(Translate(e));
        }
    }

    /// <summary>A model's refusal of the input (ArgumentException) is the client's fault: 400; anything else stays a 500.</summary>
    private static Exception Translate(Exception e) => e is ArgumentException a
        ? ApiException.BadRequest(a.Message, "invalid_input")
        : e;

    /// <summary>Stops taking work; the worker ends after the jobs already queued.</summary>
    public void Dispose()
    {
        _jobs.Writer.TryComplete();
        _worker.Join(TimeSpan.FromSeconds(30));
    }
}
