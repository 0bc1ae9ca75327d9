namespace LlmBatch.LocalModel;

internal static class LocalModelPlaceholder;
