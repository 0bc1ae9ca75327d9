namespace LlmBatch.Simulator;

/// <summary>What the simulator does with a request that arrives while <see cref="SimulatorOptions.MaxInFlight"/> requests are being processed.</summary>
public enum SimulatorOverflow
{
    /// <summary>Wait for a free slot, as vLLM and llama.cpp do: latency grows with the queue.</summary>
    Queue,

    /// <summary>Answer 503 Service Unavailable at once, as Ollama does when its queue is full.</summary>
    Reject,

    /// <summary>Answer 429 at once without any rate-limit header, as TGI does past <c>max_concurrent_requests</c>.</summary>
    Reject429,
}
