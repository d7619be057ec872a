"""`python -m deploy.ecs_local` (`make ecs-local`): start the platform as ECS would, deliver a file, follow it.

It runs in a network namespace of its own (`unshare --net`, loopback only), so its fixed ports (3000, 4000, 5432,
5439, 8080, the moto server's 4566) never meet another process on this machine, as a VPC keeps them apart on AWS.
Exit code 0 only when every container started (and became healthy where it has a health check), the run tasks
succeeded and the delivery reached RDS, the exports and the warehouse; otherwise 1, naming the container.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _enter_network_namespace(argv: list[str]) -> None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        raise SystemExit("ecs-local: needs `unshare` (util-linux) and `ip` (iproute2)")
    os.execvp("unshare", ["unshare", "--net", "--", sys.executable, "-m", "deploy.ecs_local", "--in-netns", *argv])


def _stand_in_variables(work: Path) -> dict[str, str]:
    stub = work / "lambda_api.zip"  # the Lambda is not applied here (its function needs a Docker-backed moto)
    with zipfile.ZipFile(stub, "w") as archive:
        archive.writestr("lambda_api/__init__.py", "")
    queries = REPO / "smarthome_assets" / "lake" / "queries"  # the applied copy cannot reach them by path.module
    return {
        "region": "us-east-1",
        "image_tag": "local",
        "lambda_zip": str(stub),
        "force_destroy_bucket": "true",
        "lake_queries_dir": str(queries),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make ecs-local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=REPO / "build" / "ecs-local", help="scratch folder (emptied)")
    parser.add_argument("--days", type=int, default=2, help="days of synthetic readings in the delivery")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for each step")
    parser.add_argument("--services-only", action="store_true", help="stop after the services are up")
    parser.add_argument("--in-netns", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.in_netns:
        _enter_network_namespace(sys.argv[1:] if argv is None else argv)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    # `kill` (or CI's timeout) ends the harness through its clean-up: sandboxes, PostgreSQL, moto.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from deploy.ecs_local import ecs_api, moto_terraform, sandbox, scenario, stand_ins
    from deploy.ecs_local.agent import Agent

    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    started = time.monotonic()
    report = scenario.Report()
    moto, endpoint = stand_ins.start_moto()
    # The harness's own AWS calls (the API's secret look-up included) go to the moto server.
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=stand_ins.REGION,
        AWS_DEFAULT_REGION=stand_ins.REGION,
    )
    aws = stand_ins.Aws(endpoint)
    dbs = agent = api = None
    try:
        print("ecs-local: embedded PostgreSQL (RDS, Redshift) behind TLS, moto server", flush=True)
        dbs, master_password = stand_ins.start_databases(args.work / "postgres")
        stand = {
            "db_instance_id": "smarthome",
            "api_stage": "local",
            "db_host": "127.0.0.1",
            "db_port": 5432,
            "db_admin_user": stand_ins.MASTER_USER,
            "db_master_secret_arn": stand_ins.master_secret(aws, master_password),
            "api_url": "http://127.0.0.1:8080",
            "redshift_host": "127.0.0.1",
            "redshift_workgroup": "smarthome",
            "redshift_workgroup_arn": f"arn:aws:redshift-serverless:{stand_ins.REGION}:{stand_ins.ACCOUNT}:"
            "workgroup/smarthome-local",
        }
        print("ecs-local: terraform apply of deploy/terraform on the moto server", flush=True)
        tf = args.work / "terraform"
        moto_terraform.prepare(tf, endpoint, stand)
        moto_terraform.apply(tf, _stand_in_variables(args.work), moto_terraform.HARNESS_TARGETS)

        ecs = aws.client("ecs")
        cluster = ecs.list_clusters()["clusterArns"][0]
        run_family = ecs.describe_task_definition(taskDefinition="smarthome-run")["taskDefinition"]
        bucket = next(
            e["value"]
            for c in run_family["containerDefinitions"]
            for e in c.get("environment", [])
            if e["name"] == "SMARTHOME_S3_BUCKET"
        )
        redshift_password = stand_ins.start_redshift(
            dbs, aws, bucket, "smarthome", run_family["taskRoleArn"].rsplit("/", 1)[-1], "dev"
        )
        api = stand_ins.start_api(aws)

        image = sandbox.read_image()
        hosts = args.work / "hosts"
        sd = aws.client("servicediscovery")
        namespace = sd.list_namespaces()["Namespaces"][0]["Name"]
        names = [f"{s['Name']}.{namespace}" for s in sd.list_services()["Services"]]
        hosts.write_text("127.0.0.1 localhost task " + " ".join(names) + "\n")
        agent = Agent(
            aws=aws,
            work=args.work,
            image=image,
            image_home=sandbox.prepare_image_home(args.work / "image-home", image),
            hosts_file=hosts,
            venv=Path(sys.prefix),
        )
        agent.extra_env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ENDPOINT_URL_ECS": "",  # set below, once the ECS stand-in listens
            "AWS_DEFAULT_REGION": stand_ins.REGION,
        }
        server = ecs_api.serve(agent, endpoint, ecs_api.Redshift(stand["redshift_workgroup_arn"], redshift_password))
        agent.extra_env.update(AWS_ENDPOINT_URL_ECS=agent.api_url, AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS=agent.api_url)

        network = ecs.describe_services(
            cluster=cluster, services=[s.split("/")[-1] for s in ecs.list_services(cluster=cluster)["serviceArns"]][:1]
        )["services"][0]["networkConfiguration"]
        print("ecs-local: the bootstrap task, then the services (code server first)", flush=True)
        scenario.run_bootstrap(agent, ecs, cluster, network, report, "smarthome-bootstrap")
        scenario.start_services(agent, ecs, cluster, report, args.timeout)
        scenario.check_ui(report, args.timeout)
        if not args.services_only:
            key, rows = scenario.deliver(aws, bucket, "smarthome", args.work / "delivery", args.days)
            print(f"ecs-local: delivered s3://{bucket}/{key} ({rows} valid rows); following it", flush=True)
            scenario.follow_the_delivery(agent, dbs, aws, bucket, "smarthome", rows, report, args.timeout)
        server.shutdown()
    except (scenario.ScenarioFailed, moto_terraform.TerraformError, OSError, LookupError) as exc:
        report.failure = str(exc)
    finally:
        if agent is not None:
            agent.stop_all()
        if api is not None:
            api.shutdown()
        if dbs is not None:
            dbs.stop()
        moto.stop()
    print()
    print(scenario.table(report))
    seconds = time.monotonic() - started
    if report.failure:
        print()
        print(report.failure)
        first = report.failure.splitlines()[0]
        print(f"ecs-local: FAILED after {seconds:.0f} s: {first}")
        return 1
    what = "every container started" + ("" if args.services_only else " and the delivery reached the warehouse")
    print(f"ecs-local: OK in {seconds:.0f} s: {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
