"""The IAM documents an AWS admin needs to authorize a workspace: trust policy, permissions, CloudFormation."""

from __future__ import annotations

from typing import Any

import yaml

FULL_ACCESS_MANAGED_POLICY = "arn:aws:iam::aws:policy/AWSSupportAppFullAccess"
READ_ONLY_MANAGED_POLICY = "arn:aws:iam::aws:policy/AWSSupportAppReadOnlyAccess"

# The managed full-access set without live chat (not offered), plus the catalogue reads the pickers need.
RECOMMENDED_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "SupportCases",
            "Effect": "Allow",
            "Resource": "*",
            "Action": [
                "support:AddAttachmentsToSet",
                "support:AddCommunicationToCase",
                "support:CreateCase",
                "support:DescribeCases",
                "support:DescribeCommunications",
                "support:ResolveCase",
                "support:DescribeSeverityLevels",
                "support:DescribeServices",
                "support:DescribeCreateCaseOptions",
                "support:DescribeSupportedLanguages",
            ],
        },
        {
            "Sid": "ServiceQuotas",
            "Effect": "Allow",
            "Resource": "*",
            "Action": [
                "servicequotas:GetRequestedServiceQuotaChange",
                "servicequotas:GetServiceQuota",
                "servicequotas:RequestServiceQuotaIncrease",
                "servicequotas:ListServices",
                "servicequotas:ListServiceQuotas",
                "servicequotas:ListAWSDefaultServiceQuotas",
                "servicequotas:GetAWSDefaultServiceQuota",
                "servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota",
            ],
        },
        {
            "Sid": "QuotasServiceLinkedRole",
            "Effect": "Allow",
            "Resource": "*",
            "Action": "iam:CreateServiceLinkedRole",
            "Condition": {"StringEquals": {"iam:AWSServiceName": "servicequotas.amazonaws.com"}},
        },
    ],
}

ORGANIZATION_READ_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadOrganization",
            "Effect": "Allow",
            "Resource": "*",
            "Action": ["organizations:DescribeOrganization", "organizations:ListAccounts"],
        }
    ],
}


def trust_policy(app_principal_arn: str, external_id: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": app_principal_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def cloudformation_template(
    app_principal_arn: str, external_id: str, role_name: str = "AWSSupportSlackRole"
) -> str:
    """A template that creates the channel role in the customer's account (deploy in any Region)."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "IAM role that lets aws-support-slack act on AWS Support cases for one Slack workspace",
        "Parameters": {
            "RoleName": {"Type": "String", "Default": role_name},
            "Access": {
                "Type": "String",
                "AllowedValues": ["recommended", "full", "read-only"],
                "Default": "recommended",
                "Description": "recommended: cases, catalogues and quotas; full/read-only: the AWS managed policies",
            },
        },
        "Conditions": {
            "Recommended": {"Fn::Equals": [{"Ref": "Access"}, "recommended"]},
            "Full": {"Fn::Equals": [{"Ref": "Access"}, "full"]},
        },
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": {"Ref": "RoleName"},
                    "AssumeRolePolicyDocument": trust_policy(app_principal_arn, external_id),
                    "ManagedPolicyArns": [
                        {
                            "Fn::If": [
                                "Recommended",
                                {"Ref": "AWS::NoValue"},
                                {"Fn::If": ["Full", FULL_ACCESS_MANAGED_POLICY, READ_ONLY_MANAGED_POLICY]},
                            ]
                        }
                    ],
                    "Policies": [
                        {
                            "Fn::If": [
                                "Recommended",
                                {"PolicyName": "aws-support-slack", "PolicyDocument": RECOMMENDED_POLICY},
                                {"Ref": "AWS::NoValue"},
                            ]
                        }
                    ],
                },
            }
        },
        "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}}},
    }
    return yaml.safe_dump(template, sort_keys=False, width=120)
