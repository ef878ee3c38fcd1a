"""The fields of the "Increase service quota" modal and the values they offer: plain constants, shared by the
rules that check a request (`rules`) and the modal that shows it (`bolt_app.blocks.quotas`).

A block id is the field's name: an error names it, so the modal shows the message beside the field.
"""

from __future__ import annotations

ACCOUNT_FIELD = "quota_account"
REGION_FIELD = "quota_region"
SERVICE_FIELD = "quota_service"
QUOTA_FIELD = "quota_code"
VALUE_FIELD = "quota_value"

DEFAULT_REGION = "us-east-1"

# The commercial (aws partition) Regions. Static on purpose: the modal must open within Slack's 3-second
# trigger window without an AWS call, listing Regions (ec2:DescribeRegions) would need a permission the channel
# role is not asked for, and botocore's bundled endpoint data depends on the installed version. It matches
# botocore's aws partition (a test checks every entry is known there); add a Region here when AWS opens one.
REGIONS: dict[str, str] = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "af-south-1": "Africa (Cape Town)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-east-2": "Asia Pacific (Taipei)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-south-2": "Asia Pacific (Hyderabad)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-southeast-3": "Asia Pacific (Jakarta)",
    "ap-southeast-4": "Asia Pacific (Melbourne)",
    "ap-southeast-5": "Asia Pacific (Malaysia)",
    "ap-southeast-6": "Asia Pacific (New Zealand)",
    "ap-southeast-7": "Asia Pacific (Thailand)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ca-central-1": "Canada (Central)",
    "ca-west-1": "Canada West (Calgary)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-central-2": "Europe (Zurich)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-south-1": "Europe (Milan)",
    "eu-south-2": "Europe (Spain)",
    "eu-north-1": "Europe (Stockholm)",
    "il-central-1": "Israel (Tel Aviv)",
    "me-central-1": "Middle East (UAE)",
    "me-south-1": "Middle East (Bahrain)",
    "mx-central-1": "Mexico (Central)",
    "sa-east-1": "South America (São Paulo)",
}
