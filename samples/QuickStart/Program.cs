// dotnet run --project samples/QuickStart -- [DATA] [RUN_DIR]   (defaults: ../shared/data/cifar10 runs/quickstart)
QuickStart.TransferQuickStart.Run(args.Length > 0 ? args[0] : "../shared/data/cifar10", args.Length > 1 ? args[1] : "runs/quickstart");
