namespace LlmBatch.Simulator;

internal static class SimulatorPlaceholder;
