"""An independent Disco.Geo client in Python: stubs generated from protos/ by grpc_tools.

Usage: disco_client.py ADDRESS DATASET_NAME
Prints one JSON object with what it saw; exits non-zero on any failure.
"""
import hashlib
import json
import sys

import grpc

from disco.geo.v1 import datasets_pb2, datasets_pb2_grpc, training_pb2, training_pb2_grpc
from health.v1 import health_pb2, health_pb2_grpc


def main():
    address, name = sys.argv[1], sys.argv[2]
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

        jobs = training_pb2_grpc.TrainingServiceStub(channel).ListJobs(training_pb2.ListJobsRequest(), timeout=10)
        print(json.dumps({
            "health": health_pb2.HealthCheckResponse.ServingStatus.Name(health.status),
            "datasets": [d.name for d in listing.datasets],
            "download_sha256": digest.hexdigest(),
            "header_sha256": header.blob.sha256 if header else None,
            "chunks": chunks,
            "not_found": not_found,
            "jobs": len(jobs.jobs),
        }))


if __name__ == "__main__":
    main()
