// VPC across `azCount` zones looked up at deploy time: public subnets (load balancers, the NAT
// gateway) and private subnets (nodes) with egress through one NAT gateway.
// Plain aws.ec2 resources rather than awsx.ec2.Vpc: awsx's Vpc is a remote component, so under
// Pulumi's unit-test mocks only its inputs are visible, and the tests that prove the private route
// table points at the NAT gateway (never the internet gateway) and that nodes land in exactly the
// private subnets could no longer see either. The dependency was removed.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { cidrSubnet } from './cidr';
import type { InfraConfig } from './config';

export interface Network {
  vpcId: pulumi.Output<string>;
  publicSubnetIds: pulumi.Output<string>[];
  privateSubnetIds: pulumi.Output<string>[];
}

/**
 * Layout for a /N VPC: public subnets are the first /N+4 blocks (inside the first quarter),
 * private subnets are the 2nd-4th /N+2 quarters. With 10.0.0.0/16: public 10.0.0.0/20,
 * 10.0.16.0/20; private 10.0.64.0/18, 10.0.128.0/18.
 */
export function subnetLayout(vpcCidr: string, azCount: number): { public: string[]; private: string[] } {
  const zones = [...Array(azCount).keys()];
  return {
    public: zones.map((i) => cidrSubnet(vpcCidr, 4, i)),
    private: zones.map((i) => cidrSubnet(vpcCidr, 2, i + 1)),
  };
}

export function createNetwork(cfg: InfraConfig): Network {
  const name = cfg.clusterName;
  const clusterTag = { [`kubernetes.io/cluster/${name}`]: 'shared' };
  const zones = aws.getAvailabilityZonesOutput({ state: 'available' }).names.apply((names) => {
    if (names.length < cfg.azCount) {
      throw new Error(`region ${cfg.region} has ${names.length} available zones, azCount is ${cfg.azCount}`);
    }
    return names.slice(0, cfg.azCount);
  });
  const layout = subnetLayout(cfg.vpcCidr, cfg.azCount);

  const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
    cidrBlock: cfg.vpcCidr,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    tags: { Name: `${name}-vpc` },
  });
  const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: `${name}-igw` } });

  const publicRt = new aws.ec2.RouteTable(`${name}-public`, {
    vpcId: vpc.id,
    routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }],
    tags: { Name: `${name}-public` },
  });
  const publicSubnets = layout.public.map((cidrBlock, i) => {
    const subnet = new aws.ec2.Subnet(`${name}-public-${i}`, {
      vpcId: vpc.id,
      cidrBlock,
      availabilityZone: zones[i],
      mapPublicIpOnLaunch: false,
      tags: { Name: `${name}-public-${i}`, 'kubernetes.io/role/elb': '1', ...clusterTag },
    });
    new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: subnet.id, routeTableId: publicRt.id });
    return subnet;
  });

  // One NAT gateway keeps the bill down (~$32/month each); its zone is the egress single point.
  const eip = new aws.ec2.Eip(`${name}-nat`, { domain: 'vpc', tags: { Name: `${name}-nat` } });
  const nat = new aws.ec2.NatGateway(
    `${name}-nat`,
    { subnetId: publicSubnets[0]!.id, allocationId: eip.id, tags: { Name: `${name}-nat` } },
    { dependsOn: [igw] },
  );
  const privateRt = new aws.ec2.RouteTable(`${name}-private`, {
    vpcId: vpc.id,
    routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nat.id }],
    tags: { Name: `${name}-private` },
  });
  const privateSubnets = layout.private.map((cidrBlock, i) => {
    const subnet = new aws.ec2.Subnet(`${name}-private-${i}`, {
      vpcId: vpc.id,
      cidrBlock,
      availabilityZone: zones[i],
      mapPublicIpOnLaunch: false,
      tags: { Name: `${name}-private-${i}`, 'kubernetes.io/role/internal-elb': '1', ...clusterTag },
    });
    new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: privateRt.id });
    return subnet;
  });

  return {
    vpcId: vpc.id,
    publicSubnetIds: publicSubnets.map((s) => s.id),
    privateSubnetIds: privateSubnets.map((s) => s.id),
  };
}
