using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/LlmBatch.Benchmarks -- --job short --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(LlmBatch.Benchmarks.SampleData).Assembly).Run(args);
