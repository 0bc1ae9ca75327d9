// Embeds a folder of documents with LlmBatch in a generic host, with a checkpoint: run it twice and the second run
// sends nothing. Configuration is appsettings.json, environment variables (LlmBatch__BaseUrl) or the command line:
//
//   dotnet run --project samples/EmbedFolder -- --EmbedFolder:Folder=./docs --LlmBatch:Runner:OutputPath=out.jsonl
//
// With no LlmBatch:BaseUrl the sample starts the simulator on loopback and sends there, so it runs offline; set
// LlmBatch:BaseUrl (and the key in OPENAI_API_KEY) to embed with a real provider.
using LlmBatch.Samples.EmbedFolder;
using LlmBatch.Simulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
await using var simulator = string.IsNullOrWhiteSpace(builder.Configuration["LlmBatch:BaseUrl"])
    ? await SimulatorServer.StartAsync(new SimulatorOptions { Latency = TimeSpan.FromMilliseconds(5), EmbeddingDimensions = 384 })
    : null;
if (simulator is not null)
{
    builder.Configuration.AddInMemoryCollection([new("LlmBatch:BaseUrl", simulator.BaseUrl.ToString())]);
}

builder.Services.AddLlmBatch(builder.Configuration.GetSection("LlmBatch"));
builder.Services.Configure<EmbedFolderOptions>(builder.Configuration.GetSection("EmbedFolder"));
builder.Services.AddHostedService<EmbedFolderWorker>();

using var host = builder.Build();
await host.RunAsync();
if (simulator is not null)
{
    Console.WriteLine($"simulator received {simulator.GetStats().TotalRequests} requests");
}

return Environment.ExitCode;
