"""An independent Disco.Geo client in Python: stubs generated from protos/ by grpc_tools.

Usage: disco_client.py ADDRESS DATASET_NAME MODEL GRIDDED_DATASET
Prints one JSON object with what it saw; exits non-zero on any failure.
"""
import hashlib
import json
import struct
import sys

import grpc

from disco.geo.v1 import (common_pb2, datasets_pb2, datasets_pb2_grpc, jobs_pb2, jobs_pb2_grpc, predictions_pb2,
                          predictions_pb2_grpc)
from health.v1 import health_pb2, health_pb2_grpc


def main():
    address, name, model, gridded = sys.argv[1:5]
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        datasets = datasets_pb2_grpc.DatasetServiceStub(channel)
        listing = datasets.ListDatasets(datasets_pb2.ListDatasetsRequest(page_size=10), timeout=10)

        # Server streaming: the dataset header, then the file in chunks.
        digest = hashlib.sha256()
        chunks = 0
        header = None
        for message in datasets.DownloadDataset(datasets_pb2.DownloadDatasetRequest(dataset=name, chunk_bytes=65536), timeout=30):
            if message.HasField("dataset"):
                header = message.dataset
            elif message.HasField("chunk"):
                digest.update(message.chunk.data)
                chunks += 1

        # A wrong id gets NOT_FOUND with a message.
        try:
            datasets.GetDataset(datasets_pb2.GetDatasetRequest(dataset="no-such-dataset"), timeout=10)
            not_found = "no error"
        except grpc.RpcError as error:
            not_found = error.code().name

        prediction = predict(channel, model, gridded)
        jobs = jobs_pb2_grpc.JobServiceStub(channel).ListJobs(jobs_pb2.ListJobsRequest(), timeout=10)
        print(json.dumps({
            "health": health_pb2.HealthCheckResponse.ServingStatus.Name(health.status),
            "datasets": [d.name for d in listing.datasets],
            "download_sha256": digest.hexdigest(),
            "header_sha256": header.blob.sha256 if header else None,
            "chunks": chunks,
            "not_found": not_found,
            "jobs": len(jobs.jobs),
            "prediction": prediction,
        }))


def predict(channel, model, dataset):
    """Server streaming Predict with tiles: decodes each tile's float32 values into its rows of the map."""
    request = predictions_pb2.PredictRequest(model=model, dataset=dataset, rows_per_tile=5, stream_tiles=True,
                                             output=predictions_pb2.PREDICTION_OUTPUT_VALUES)
    record, summary, tiles, rows, values = None, None, 0, set(), {}
    for message in predictions_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=60):
        kind = message.WhichOneof("message")
        if kind == "prediction":
            record = message.prediction
        elif kind == "summary":
            summary = message.summary
        elif kind == "tile":
            tile = message.tile
            array = tile.values
            if array.dtype != common_pb2.DATA_TYPE_FLOAT32 or len(array.data) != 4 * tile.row_count * tile.col_count:
                raise ValueError(f"unexpected tile: dtype {array.dtype}, shape {list(array.shape)}, {len(array.data)} bytes")
            decoded = struct.unpack(f"<{tile.row_count * tile.col_count}f", array.data)
            for r in range(tile.row_count):
                row = tile.row_start + r
                if row in rows:
                    raise ValueError(f"row {row} arrived twice")
                rows.add(row)
                values[row] = decoded[r * tile.col_count:(r + 1) * tile.col_count]
            tiles += 1
    if record is None or summary is None:
        raise ValueError("the stream lacked the prediction record or the summary")
    return {
        "id": record.id,
        "tiles": tiles,
        "rows": sorted(rows),
        "values": [v for row in sorted(values) for v in values[row]],
        "class_areas": [{"class_id": a.class_id, "class_name": a.class_name, "area_km2": a.area_km2, "fraction": a.fraction}
                        for a in summary.class_areas],
    }


if __name__ == "__main__":
    main()
